"""Tests of the BIWI datasets: the real pose file, boxes, the 70/30 split and bad inputs."""

import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from headpose.datasets import (
    BIWI_70_30_TEST,
    BIWI_70_30_TRAIN,
    BIWIDataset,
    BIWINpzDataset,
    PairDataset,
)
from headpose.datasets.biwi import biwi_rotation_to_angles, project_head_boxes, read_biwi_pose
from headpose.datasets.biwi_split import BIWI_SPLIT_SEED, generate_split
from headpose.registry import DATASETS
from headpose.structures import euler_to_matrix, matrix_to_euler, project_to_rotation
from headpose.testing import REAL_SAMPLES, get_config

REAL_POSE = osp.join(REAL_SAMPLES, 'biwi', 'frame_00003_pose.txt')
needs_real = pytest.mark.skipif(
    not osp.isfile(REAL_POSE),
    reason=f'the real samples are absent ({REAL_POSE}); they are not part of the repo')
README_ANGLES = (9.3275, -0.4049, -6.3944)
POSE_TEXT = '1 0 0 \n0 1 0 \n0 0 1 \n\n{x} {y} {z} \n'


def add_frame(root, seq, frame, pose_text=None, pose_src=None, image=True):
    folder = root / f'{seq:02d}'
    folder.mkdir(parents=True, exist_ok=True)
    if pose_src is not None:
        shutil.copy(pose_src, folder / f'frame_{frame:05d}_pose.txt')
    elif pose_text is not None:
        (folder / f'frame_{frame:05d}_pose.txt').write_text(pose_text)
    if image:
        cv2.imwrite(str(folder / f'frame_{frame:05d}_rgb.png'), np.zeros((48, 64, 3), np.uint8))


@needs_real
def test_real_pose_file_gives_the_readme_angles():
    rotation, centre = read_biwi_pose(REAL_POSE)
    np.testing.assert_allclose(centre, [43.4019, -30.7038, 906.864])
    angles = biwi_rotation_to_angles(rotation)
    np.testing.assert_allclose(angles, README_ANGLES, atol=1e-3)
    # The conversion is headpose's decomposition of S R S, S = diag(-1, 1, 1).
    s = np.diag([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(matrix_to_euler(project_to_rotation(s @ rotation @ s)),
                               angles, atol=1e-3)


@needs_real
def test_dataset_on_the_real_pose_file(tmp_path):
    add_frame(tmp_path, 12, 3, pose_src=REAL_POSE)
    ds = BIWIDataset(data_root=str(tmp_path), cache_dir=str(tmp_path / 'c'), pipeline=[
        dict(type='LoadImage'), dict(type='PackHeadPoseInputs')])
    assert len(ds) == 1
    info = ds.get_data_info(0)
    np.testing.assert_allclose(matrix_to_euler(info['gt_rotations'][0]), README_ANGLES, atol=1e-3)
    assert info['identity'] == '12'
    assert info['img_path'] == osp.join(str(tmp_path), '12', 'frame_00003_rgb.png')
    # u = 517.679 * 43.4019 / 906.864 + 320, v = 517.679 * -30.7038 / 906.864 + 240.5,
    # side = 170 mm * 517.679 / 906.864.
    u, v, side = 344.776, 222.973, 97.044
    np.testing.assert_allclose(info['gt_bboxes'][0],
                               [u - side / 2, v - side / 2, u + side / 2, v + side / 2],
                               atol=1e-2)
    np.testing.assert_allclose(gt_angles(ds[0]['data_samples']), README_ANGLES, atol=1e-3)


def test_boxes_file_and_projection(tmp_path):
    add_frame(tmp_path, 1, 1, POSE_TEXT.format(x=0, y=0, z=1000))
    add_frame(tmp_path, 1, 2, POSE_TEXT.format(x=100, y=-50, z=500))
    np.testing.assert_allclose(
        project_head_boxes(np.array([[0, 0, 1000.0]]), 200.0, (500, 500, 320, 240)),
        [[270, 190, 370, 290]])
    (tmp_path / 'boxes.txt').write_text('# seq/frame x1 y1 x2 y2\n'
                                        '01/frame_00001_rgb.png 1 2 3 4\n'
                                        '01/frame_00002_rgb.png 5 6 7 8\n')
    kw = dict(data_root=str(tmp_path), cache_dir=str(tmp_path / 'c'), pipeline=[])
    ds = BIWIDataset(bbox_file='boxes.txt', **kw)
    np.testing.assert_allclose(ds.get_data_info(1)['gt_bboxes'][0], [5, 6, 7, 8])
    (tmp_path / 'boxes.txt').write_text('01/frame_00001_rgb.png 1 2 3 4\n')
    with pytest.raises(ValueError, match=r'no box for 1 frames, e\.g\. 01/frame_00002'):
        BIWIDataset(bbox_file='boxes.txt', **kw)


def test_split_is_the_published_constant():
    assert generate_split(BIWI_SPLIT_SEED) == (BIWI_70_30_TRAIN, BIWI_70_30_TEST)
    # FSA-Net's structure: 16 whole sequences train, 8 test (randFlag[0:16] = 1).
    assert len(BIWI_70_30_TRAIN) == 16 and len(BIWI_70_30_TEST) == 8
    assert BIWI_70_30_TEST == (2, 9, 10, 12, 14, 15, 18, 23)
    assert sorted(BIWI_70_30_TRAIN + BIWI_70_30_TEST) == list(range(1, 25))


def test_split_selects_sequences_and_pairs_stay_in_a_sequence(tmp_path):
    for seq in (BIWI_70_30_TEST[0], BIWI_70_30_TRAIN[0]):
        for frame in (3, 4):
            add_frame(tmp_path, seq, frame, POSE_TEXT.format(x=0, y=0, z=900))
    kw = dict(data_root=str(tmp_path), cache_dir=str(tmp_path / 'c'), pipeline=[])
    assert len(BIWIDataset(**kw)) == 4
    ds = BIWIDataset(sequences=[BIWI_70_30_TEST[0]], **kw)
    assert len(ds) == 2 and ds.get_identity(0) == f'{BIWI_70_30_TEST[0]:02d}'
    pairs = PairDataset(ds)
    assert pairs.partner(0) == 1
    with pytest.raises(FileNotFoundError, match=r'sequence folders .* not found'):
        BIWIDataset(split='test', **kw)
    with pytest.raises(ValueError, match='either sequences or split'):
        BIWIDataset(split='test', sequences=[1], **kw)


def test_bad_inputs_name_the_file_and_what_was_expected(tmp_path):
    (tmp_path / 'hpdb').mkdir()
    with pytest.raises(FileNotFoundError, match='point data_root at it'):
        BIWIDataset(data_root=str(tmp_path), pipeline=[])
    root = tmp_path / 'hpdb'
    add_frame(root, 5, 1)  # a frame without its pose file
    with pytest.raises(FileNotFoundError,
                       match=r'no _pose\.txt annotation in .*05 \(it has 1 _rgb\.png images\)'):
        BIWIDataset(data_root=str(root), cache=False, pipeline=[])
    add_frame(root, 5, 1, pose_text='1 0 0\n0 1 0\n\n1 2 3\n')
    with pytest.raises(ValueError, match=r'frame_00001_pose\.txt: not a BIWI pose file'):
        BIWIDataset(data_root=str(root), cache=False, pipeline=[])
    add_frame(root, 5, 1, pose_text=POSE_TEXT.format(x=0, y=0, z=900))
    add_frame(root, 5, 2, pose_text=POSE_TEXT.format(x=0, y=0, z=900), image=False)
    with pytest.raises(FileNotFoundError, match=r'have no image, e\.g\. frame_00002_rgb'):
        BIWIDataset(data_root=str(root), cache=False, pipeline=[])


def write_npz(path, n=3, n_pose=None, **override):
    rng = np.random.default_rng(0)
    arrays = dict(image=rng.integers(0, 255, (n, 64, 64, 3), dtype=np.uint8),
                  pose=rng.uniform(-60, 60, (n if n_pose is None else n_pose, 3)))
    arrays.update(override)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return arrays


def test_npz_dataset_keeps_images_in_memory(tmp_path):
    arrays = write_npz(tmp_path / 'BIWI_noTrack.npz')
    ds = BIWINpzDataset(data_root=str(tmp_path), ann_file='BIWI_noTrack.npz', test_mode=True,
                        pipeline=[dict(type='LoadImage'),
                                  dict(type='CropHead', input_size=(32, 32), padding=1.0),
                                  dict(type='PackHeadPoseInputs')])
    assert len(ds) == 3
    info = ds.get_data_info(2)
    np.testing.assert_array_equal(info['img'], arrays['image'][2])
    np.testing.assert_allclose(info['gt_bboxes'][0], [0, 0, 64, 64])
    np.testing.assert_allclose(info['gt_rotations'][0], euler_to_matrix(arrays['pose'][2]),
                               atol=1e-12)
    assert info['img_path'].endswith('BIWI_noTrack.npz#00002')
    out = ds[2]
    assert tuple(out['inputs'].shape) == (3, 32, 32)
    np.testing.assert_allclose(gt_angles(out['data_samples']), arrays['pose'][2], atol=1e-3)
    rgb = BIWINpzDataset(ann_file=str(tmp_path / 'BIWI_noTrack.npz'), channel_order='rgb',
                         pipeline=[])
    np.testing.assert_array_equal(rgb.get_data_info(0)['img'], arrays['image'][0][..., ::-1])


def test_npz_with_bad_arrays_is_an_error_naming_the_file(tmp_path):
    kw = dict(pipeline=[])
    write_npz(tmp_path / 'a.npz', n=3, n_pose=2)
    with pytest.raises(ValueError, match=r'a\.npz: 3 images but 2 poses'):
        BIWINpzDataset(ann_file=str(tmp_path / 'a.npz'), **kw)
    write_npz(tmp_path / 'b.npz', pose=None)
    with pytest.raises(ValueError, match=r"b\.npz: no array pose .*'pose' \(N, 3\)"):
        BIWINpzDataset(ann_file=str(tmp_path / 'b.npz'), **kw)
    write_npz(tmp_path / 'c.npz', image=np.zeros((3, 64, 64), np.float32))
    with pytest.raises(ValueError, match=r'c\.npz: image has shape \(3, 64, 64\)'):
        BIWINpzDataset(ann_file=str(tmp_path / 'c.npz'), **kw)
    with pytest.raises(FileNotFoundError, match='not found'):
        BIWINpzDataset(ann_file=str(tmp_path / 'none.npz'), **kw)


def test_biwi_configs_build_their_datasets(tmp_path):
    for seq in range(1, 25):
        for frame in (1, 2):
            add_frame(tmp_path / 'hpdb', seq, frame, POSE_TEXT.format(x=0, y=0, z=900))
    cfg = get_config('rankpose/r50_arccos_biwi-70-30.py')
    over = dict(data_root=str(tmp_path / 'hpdb'), cache_dir=str(tmp_path / 'c'))
    cfg.train_dataloader.dataset.dataset.update(over)
    cfg.test_dataloader.dataset.update(over)
    train = DATASETS.build(cfg.train_dataloader.dataset)
    test = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(train) == 2 * 16 and len(test) == 2 * 8
    train_ids = {train.dataset.get_identity(i) for i in range(len(train))}
    test_ids = {test.get_identity(i) for i in range(len(test))}
    assert not train_ids & test_ids and len(train_ids | test_ids) == 24
    item = train[0]
    assert [tuple(x.shape) for x in item['inputs']] == [(3, 224, 224)] * 2

    write_npz(tmp_path / 'BIWI_noTrack.npz')
    cfg = get_config('rankpose/r50_arccos_300wlp-biwi.py')
    cfg.test_dataloader.dataset.data_root = str(tmp_path)
    test = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(test) == 3 and tuple(test[0]['inputs'].shape) == (3, 224, 224)


def gt_angles(sample) -> np.ndarray:
    """The (yaw, pitch, roll) of a crop's one head, from its rotation (narrow branch)."""
    return matrix_to_euler(sample.gt_instances.rotations[0].double().numpy())
