"""Tests of W300LPDataset: the real sample's labels, identities, boxes and bad layouts."""

import os
import os.path as osp

import numpy as np
import pytest
import scipy.io as sio

from headpose.datasets import PairDataset, W300LPDataset
from headpose.datasets.w300lp import w300lp_identity, w300lp_identity_codes
from headpose.structures import matrix_to_euler
from headpose.testing import REAL_SAMPLES, REPO_ROOT, get_config

REAL_300WLP = osp.join(REAL_SAMPLES, '300w_lp')
needs_real = pytest.mark.skipif(
    not osp.isdir(REAL_300WLP),
    reason=f'the real samples are absent ({REAL_300WLP}); they are not part of the repo')


def primed(pitch, yaw, roll):
    """R = Rx'(pitch) Ry'(yaw) Rz'(roll) (radians), written as the samples README does."""
    def rx(a):
        c, s = np.cos(a), np.sin(a)
        return np.array([[1, 0, 0], [0, c, s], [0, -s, c]])

    def ry(a):
        c, s = np.cos(a), np.sin(a)
        return np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]])

    def rz(a):
        c, s = np.cos(a), np.sin(a)
        return np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]])

    return rx(pitch) @ ry(yaw) @ rz(roll)


def write_mat(path, yaw=0.0, pitch=0.0, roll=0.0, pt2d=None, with_pose=True, image=True):
    """A 300W-LP-like .mat (angles in degrees here, radians in the file) and its .jpg."""
    pose = np.zeros((1, 7), np.float32)
    pose[0, :3] = np.radians([pitch, yaw, roll])
    if pt2d is None:
        pt2d = np.stack([np.linspace(100, 200, 68), np.linspace(120, 240, 68)])
    data = dict(pt2d=pt2d)
    if with_pose:
        data['Pose_Para'] = pose
    sio.savemat(path, data)
    if image:
        open(path[:-4] + '.jpg', 'wb').close()


def fake_root(tmp_path, layout):
    """``layout``: {subset: [stem, ...]} -> a 300W-LP-like folder."""
    root = tmp_path / '300W_LP'
    for subset, stems in layout.items():
        (root / subset).mkdir(parents=True, exist_ok=True)
        for i, stem in enumerate(stems):
            write_mat(str(root / subset / f'{stem}.mat'), yaw=10.0 * i, pitch=-5.0, roll=2.0)
    return str(root)


@needs_real
def test_real_sample_gives_the_readme_labels(tmp_path):
    root = tmp_path / '300W_LP' / 'IBUG'
    root.mkdir(parents=True)
    for ext in ('.jpg', '.mat'):
        os.symlink(osp.join(REAL_300WLP, 'IBUG_image_008_1_0' + ext),
                   root / ('IBUG_image_008_1_0' + ext))
    ds = W300LPDataset(data_root=str(tmp_path / '300W_LP'), subsets=['IBUG'],
                       cache_dir=str(tmp_path / 'cache'), pipeline=[
                           dict(type='LoadImage'), dict(type='CropHead', input_size=(64, 64)),
                           dict(type='PackHeadPoseInputs')])
    assert len(ds) == 1
    info = ds.get_data_info(0)
    yaw, pitch, roll = matrix_to_euler(info['gt_rotations'][0])
    # The README gives two decimals: yaw -44.01, pitch -7.58, roll 3.21.
    assert np.round([yaw, pitch, roll], 2).tolist() == [-44.01, -7.58, 3.21]
    # The rotation is the README's primed product of the raw Pose_Para angles.
    p = sio.loadmat(osp.join(REAL_300WLP, 'IBUG_image_008_1_0.mat'))['Pose_Para'][0]
    np.testing.assert_allclose(info['gt_rotations'][0], primed(p[0], p[1], p[2]), atol=1e-6)
    np.testing.assert_allclose([yaw, pitch, roll], np.degrees([p[1], p[0], p[2]]), atol=1e-3)
    assert info['identity'] == 'IBUG/IBUG_image_008_1'
    # The box is the pt2d box (x 136.7-316.7, y 212.9-385.9) scaled by 1.2.
    np.testing.assert_allclose(info['gt_bboxes'][0], [118.70, 195.63, 334.70, 403.17], atol=0.01)
    out = ds[0]
    assert tuple(out['inputs'].shape) == (3, 64, 64)
    np.testing.assert_allclose(gt_angles(out['data_samples']), [yaw, pitch, roll],
                               atol=1e-3)


def test_identity_strips_the_trailing_k_and_keeps_the_subset():
    assert w300lp_identity('IBUG', 'IBUG_image_008_1_0') == 'IBUG/IBUG_image_008_1'
    assert w300lp_identity('HELEN_Flip', 'HELEN_100032540_1_12') == 'HELEN_Flip/HELEN_100032540_1'
    assert w300lp_identity('AFW', 'noindex') == 'AFW/noindex'
    stems = ['IBUG_image_008_1_0', 'IBUG_image_008_1_11', 'AFW_x_', 'noindex', 'IBUG_image_9_1_0']
    codes, names = w300lp_identity_codes('IBUG', np.array([s.encode() for s in stems]))
    assert [names[c] for c in codes] == [w300lp_identity('IBUG', s) for s in stems]


def test_subsets_identities_and_pairs(tmp_path):
    root = fake_root(tmp_path, dict(
        AFW=['AFW_111_1_0', 'AFW_111_1_1', 'AFW_222_1_0'],
        AFW_Flip=['AFW_111_1_0'], LFPW=['LFPW_image_test_0001_0']))
    cache = str(tmp_path / 'cache')
    ds = W300LPDataset(data_root=root, subsets=['AFW', 'AFW_Flip'], cache_dir=cache,
                       pipeline=[])
    assert len(ds) == 4
    ids = [ds.get_identity(i) for i in range(len(ds))]
    assert ids == ['AFW/AFW_111_1', 'AFW/AFW_111_1', 'AFW/AFW_222_1', 'AFW_Flip/AFW_111_1']
    paths = [osp.relpath(ds.get_data_info(i)['img_path'], root) for i in range(len(ds))]
    assert paths == ['AFW/AFW_111_1_0.jpg', 'AFW/AFW_111_1_1.jpg', 'AFW/AFW_222_1_0.jpg',
                     'AFW_Flip/AFW_111_1_0.jpg']
    yaws = [matrix_to_euler(ds.get_data_info(i)['gt_rotations'][0])[0] for i in range(3)]
    np.testing.assert_allclose(yaws, [0, 10, 20], atol=1e-4)
    pairs = PairDataset(ds)
    pairs.full_init()
    assert pairs.partner(0) == 1 and pairs.partner(1) == 0 and pairs.partner(2) == 2
    only_lfpw = W300LPDataset(data_root=root, subsets='LFPW', cache_dir=cache, pipeline=[])
    assert len(only_lfpw) == 1


def test_bbox_scale_scales_the_landmark_box(tmp_path):
    root = tmp_path / '300W_LP' / 'IBUG'
    root.mkdir(parents=True)
    pts = np.array([[100.0, 200.0, 150.0], [50.0, 150.0, 100.0]])
    write_mat(str(root / 'IBUG_a_1_0.mat'), pt2d=pts)
    kw = dict(data_root=str(tmp_path / '300W_LP'), subsets=['IBUG'],
              cache_dir=str(tmp_path / 'cache'), pipeline=[])
    np.testing.assert_allclose(W300LPDataset(bbox_scale=1.0, **kw).get_data_info(0)['gt_bboxes'][0],
                               [100, 50, 200, 150])
    np.testing.assert_allclose(W300LPDataset(bbox_scale=1.5, **kw).get_data_info(0)['gt_bboxes'][0],
                               [75, 25, 225, 175])


def test_bad_layouts_name_what_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match='is not a folder'):
        W300LPDataset(data_root=str(tmp_path / 'nowhere'), pipeline=[])
    root = fake_root(tmp_path, dict(AFW=['AFW_1_1_0']))
    with pytest.raises(FileNotFoundError, match=r'has no subset folder HELEN.*AFW_Flip'):
        W300LPDataset(data_root=root, subsets=['AFW', 'HELEN'], pipeline=[])
    with pytest.raises(ValueError, match='unknown subsets'):
        W300LPDataset(data_root=root, subsets=['AFLW'], pipeline=[])
    os.makedirs(osp.join(root, 'IBUG'))
    with pytest.raises(FileNotFoundError, match=r'no \.mat annotation in .*IBUG'):
        W300LPDataset(data_root=root, subsets=['IBUG'], pipeline=[])


def test_mat_without_pose_para_and_missing_image_are_errors_naming_the_file(tmp_path):
    root = tmp_path / '300W_LP' / 'HELEN'
    root.mkdir(parents=True)
    write_mat(str(root / 'HELEN_1_1_0.mat'), with_pose=False)
    kw = dict(data_root=str(tmp_path / '300W_LP'), subsets=['HELEN'], cache=False, pipeline=[])
    with pytest.raises(ValueError, match=r'HELEN_1_1_0\.mat: the \.mat file has no Pose_Para'):
        W300LPDataset(**kw)
    os.remove(root / 'HELEN_1_1_0.mat')
    write_mat(str(root / 'HELEN_1_1_0.mat'), image=False)
    os.remove(root / 'HELEN_1_1_0.jpg')
    with pytest.raises(FileNotFoundError, match=r'have no image, e\.g\. HELEN_1_1_0\.jpg'):
        W300LPDataset(**kw)


def test_table3_configs_inherit_the_primitive_and_change_one_thing():
    primitive = get_config('rankpose/r50_arccos_300wlp.py')
    head = primitive.model.head
    assert (head.output_transform, head.loss.loss_weight, head.loss_rank.loss_weight) == \
        ('arccos', 0.5, 0.5)
    assert primitive.train_dataloader.batch_size == 64  # pairs: 128 images
    assert primitive.train_dataloader.dataset.type == 'PairDataset'
    assert primitive.test_dataloader.dataset.filter_abs_angle == 99
    assert primitive.test_evaluator.filter_abs_angle is None
    assert primitive.optim_wrapper.optimizer == dict(type='Adam', lr=1e-3)
    assert primitive.train_cfg.max_epochs == 80
    protocols = {'300wlp': 'r50_arccos_300wlp.py', '300wlp-biwi': 'r50_arccos_300wlp-biwi.py',
                 'biwi-70-30': 'r50_arccos_biwi-70-30.py'}
    for data, parent_name in protocols.items():
        parent = get_config(f'rankpose/{parent_name}')
        for transform in ('linear', 'cosine', 'arccos'):
            for variant in (transform, f'{transform}-mse'):
                name = f'rankpose/r50_{variant}_{data}.py'
                if not osp.isfile(osp.join(REPO_ROOT, 'configs', name)):
                    assert variant == 'arccos', f'{name} is missing'
                    continue
                cfg = get_config(name)
                assert cfg.model.head.output_transform == transform
                assert (cfg.model.head.loss_rank is None) == variant.endswith('-mse')
                for key in ('train_dataloader', 'test_dataloader', 'optim_wrapper',
                            'param_scheduler', 'train_cfg'):
                    assert cfg[key] == parent[key], (name, key)


def gt_angles(sample) -> np.ndarray:
    """The (yaw, pitch, roll) of a crop's one head, from its rotation (narrow branch)."""
    return matrix_to_euler(sample.gt_instances.rotations[0].double().numpy())
