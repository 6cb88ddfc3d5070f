"""Tests of AFLW2000Dataset: real labels, boxes, the protocol filter, and tools/test.py on it."""

import json
import os
import os.path as osp

import numpy as np
import pytest
import scipy.io as sio
import torch

from headpose.datasets import AFLW2000Dataset
from headpose.registry import MODELS
from headpose.structures import matrix_to_euler
from headpose.testing import REAL_SAMPLES, REPO_ROOT, get_config, load_script

REAL_AFLW = osp.join(REAL_SAMPLES, 'aflw2000')
needs_real = pytest.mark.skipif(
    not osp.isdir(REAL_AFLW),
    reason=f'the real samples are absent ({REAL_AFLW}); they are not part of the repo')
#: The README's labels (yaw, pitch, roll in degrees).
README_LABELS = {
    'image00050': (0.939, -4.664, 5.636),
    'image00251': (-54.685, 6.995, -14.580),
    'image00475': (65.621, 39.959, 19.990),
}


def real_root(tmp_path, extra_mats=()):
    """A folder laid out like AFLW2000 with links to the real samples (+ extra .mat files)."""
    root = tmp_path / 'AFLW2000'
    root.mkdir()
    for name in README_LABELS:
        for ext in ('.jpg', '.mat'):
            os.symlink(osp.join(REAL_AFLW, name + ext), root / (name + ext))
    for name, angles in extra_mats:
        mat = sio.loadmat(osp.join(REAL_AFLW, 'image00050.mat'))
        mat['Pose_Para'][0, :3] = np.radians([angles[1], angles[0], angles[2]])
        sio.savemat(str(root / (name + '.mat')), {k: v for k, v in mat.items()
                                                 if not k.startswith('__')})
        os.symlink(osp.join(REAL_AFLW, 'image00050.jpg'), root / (name + '.jpg'))
    return str(root)


@needs_real
def test_real_samples_give_the_readme_labels(tmp_path):
    ds = AFLW2000Dataset(data_root=real_root(tmp_path), cache_dir=str(tmp_path / 'c'),
                         pipeline=[])
    assert len(ds) == 3
    for i in range(3):
        info = ds.get_data_info(i)
        name = osp.splitext(osp.basename(info['img_path']))[0]
        np.testing.assert_allclose(matrix_to_euler(info['gt_rotations'][0]), README_LABELS[name],
                                   atol=1e-3)
        assert info.get('identity') is None


@needs_real
def test_boxes_from_pt3d_68_or_the_visible_pt2d_points(tmp_path):
    root = real_root(tmp_path)
    kw = dict(data_root=root, cache_dir=str(tmp_path / 'c'), bbox_scale=1.0, pipeline=[])
    by_3d = AFLW2000Dataset(**kw)
    by_2d = AFLW2000Dataset(bbox_source='pt2d', **kw)
    mat = sio.loadmat(osp.join(REAL_AFLW, 'image00251.mat'))
    x, y = mat['pt3d_68'][0], mat['pt3d_68'][1]
    np.testing.assert_allclose(by_3d.get_data_info(1)['gt_bboxes'][0],
                               [x.min(), y.min(), x.max(), y.max()], atol=1e-3)
    # image00251 has invisible pt2d points stored as (-1, 452): they are left out.
    box = by_2d.get_data_info(1)['gt_bboxes'][0]
    visible = mat['pt2d'][:, mat['pt2d'][0] >= 0]
    np.testing.assert_allclose(box, [visible[0].min(), visible[1].min(), visible[0].max(),
                                     visible[1].max()], atol=1e-3)
    assert box[0] > 0 and box[3] < 450
    with pytest.raises(ValueError, match='bbox_source'):
        AFLW2000Dataset(bbox_source='roi', **kw)


@needs_real
def test_protocol_filter_drops_any_angle_beyond_99(tmp_path):
    root = real_root(tmp_path, extra_mats=[('image09001', (100.0, 5.0, 5.0)),
                                           ('image09002', (10.0, -120.0, 5.0)),
                                           ('image09003', (95.0, 5.0, 5.0))])
    kw = dict(data_root=root, cache_dir=str(tmp_path / 'c'), pipeline=[])
    assert len(AFLW2000Dataset(**kw)) == 6
    ds = AFLW2000Dataset(filter_abs_angle=99, **kw)
    names = [osp.basename(ds.get_data_info(i)['img_path']) for i in range(len(ds))]
    assert names == ['image00050.jpg', 'image00251.jpg', 'image00475.jpg', 'image09003.jpg']
    assert ds.num_filtered == 2


def test_bad_layout_names_what_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match='is not a folder'):
        AFLW2000Dataset(data_root=str(tmp_path / 'missing'), pipeline=[])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match=r'no \.mat annotation in .*image00002\.jpg'):
        AFLW2000Dataset(data_root=str(tmp_path / 'empty'), pipeline=[])


def load_test_tool():
    return load_script('tools/test.py', 'headpose_tools_test')


@needs_real
def test_tools_test_on_the_primitive_config_writes_the_true_labels(tmp_path):
    cfg = get_config('rankpose/r50_arccos_300wlp.py')
    model = MODELS.build(cfg.model)
    ckpt = str(tmp_path / 'r50_random.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    del model
    root = real_root(tmp_path)
    out = str(tmp_path / 'x.json')
    load_test_tool().main([
        osp.join(REPO_ROOT, 'configs/rankpose/r50_arccos_300wlp.py'), ckpt,
        '--work-dir', str(tmp_path / 'work'), '--out', out, '--cfg-options',
        f'test_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.cache_dir={tmp_path / "cache"}',
        'test_dataloader.batch_size=2', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_dataloader.dataset.pipeline.1.input_size=(64,64)'])  # a quicker forward
    records = json.load(open(out))
    assert len(records) == 3
    for rec in records:
        name = osp.splitext(osp.basename(rec['img_path']))[0]
        np.testing.assert_allclose([rec['gt_yaw'], rec['gt_pitch'], rec['gt_roll']],
                                   README_LABELS[name], atol=1e-3)
        assert all(abs(rec[k]) <= 90 for k in ('pred_yaw', 'pred_pitch', 'pred_roll'))
