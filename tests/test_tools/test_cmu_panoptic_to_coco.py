"""The CMU Panoptic converter on a fake raw release: head poses, boxes and skipped bodies."""

import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest

from headpose.datasets import CocoHeadPoseDataset
from headpose.testing import REPO_ROOT

spec = importlib.util.spec_from_file_location('cmu_panoptic_to_coco', osp.join(
    REPO_ROOT, 'tools', 'dataset_converters', 'cmu_panoptic_to_coco.py'))
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)

F = 1000.0  # focal length in pixels


def head_joints(center, facing, left, conf=0.9):
    """coco19 joints of a head at ``center`` (cm) facing ``facing``, left ear toward ``left``."""
    joints = np.zeros((19, 4))
    joints[:, 3] = conf
    c, f, lft = (np.asarray(v, float) for v in (center, facing, left))
    joints[tool.L_EAR, :3] = c + 8 * lft
    joints[tool.R_EAR, :3] = c - 8 * lft
    joints[tool.L_EYE, :3] = c + 3 * lft + 9 * f
    joints[tool.R_EYE, :3] = c - 3 * lft + 9 * f
    return joints


def fake_release(root, bodies):
    seq = osp.join(root, 'seq1')
    os.makedirs(osp.join(seq, 'hdPose3d_stage1_coco19'))
    os.makedirs(osp.join(seq, 'hdImgs', '00_00'))
    # World = OpenCV camera frame (x right, y down, z forward), camera at the origin.
    cam = dict(name='00_00', type='hd', resolution=[640, 480],
               K=[[F, 0, 320], [0, F, 240], [0, 0, 1]], distCoef=[0, 0, 0, 0, 0],
               R=np.eye(3).tolist(), t=[[0], [0], [0]])
    vga = dict(cam, name='00_01', type='vga')
    with open(osp.join(seq, 'calibration_seq1.json'), 'w') as f:
        json.dump(dict(cameras=[cam, vga]), f)
    with open(osp.join(seq, 'hdPose3d_stage1_coco19', 'body3DScene_00000000.json'), 'w') as f:
        json.dump(dict(bodies=[dict(id=i, joints19=j.reshape(-1).tolist())
                               for i, j in enumerate(bodies)]), f)
    open(osp.join(seq, 'hdImgs', '00_00', '00_00_00000000.jpg'), 'wb').close()


def test_converter_labels(tmp_path):
    # In OpenCV's camera frame the viewer is at -z: a frontal face points along -z, the
    # person's left ear is on the image's right (+x), up is -y.
    frontal = head_joints([0, 0, 300], [0, 0, -1], [1, 0, 0])
    # Facing the image's left (-x), still upright: yaw +90 in headpose's convention.
    turned = head_joints([50, 0, 300], [-1, 0, 0], [0, 0, -1])
    # Seen from behind: yaw 180.
    back = head_joints([-50, 0, 300], [0, 0, 1], [-1, 0, 0])
    unsure = head_joints([0, 50, 300], [0, 0, -1], [1, 0, 0], conf=0.05)
    behind = head_joints([0, 0, -300], [0, 0, -1], [1, 0, 0])
    raw = str(tmp_path / 'raw')
    fake_release(raw, [frontal, turned, back, unsure, behind])
    out = str(tmp_path / 'out')
    summary = tool.main([raw, out, '--split', 'val', '--sequences', 'seq1', '--frame-step', '1'])
    assert summary['num_images'] == 1 and summary['num_heads'] == 3
    assert summary['skipped'] == {'eye or ear keypoint below --min-conf': 1,
                                  'head behind the camera': 1}
    coco = json.load(open(summary['out_file']))
    angles = np.array([a['euler_angles'] for a in coco['annotations']])  # [pitch, yaw, roll]
    np.testing.assert_allclose(angles[0], [0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(angles[1], [0, 90, 0], atol=1e-6)
    assert abs(angles[2, 1]) == pytest.approx(180, abs=1e-6)
    np.testing.assert_allclose(angles[2, [0, 2]], [0, 0], atol=1e-6)
    # The frontal head: centre 10% of 24 cm above the ears, 24 cm tall at 300 cm.
    x, y, w, h = coco['annotations'][0]['bbox']
    assert (x + w / 2, y + h / 2) == pytest.approx((320, 240 - F * 2.4 / 300), abs=1e-6)
    assert (w, h) == pytest.approx((0.8 * F * 24 / 300, F * 24 / 300))
    assert os.path.islink(osp.join(out, 'images', 'val', 'seq1_00_00_00000000.jpg'))
    ds = CocoHeadPoseDataset(ann_file=summary['out_file'], pipeline=[], test_mode=True)
    assert ds.get_data_info(0)['gt_bboxes'].shape == (3, 4)
    with pytest.raises(SystemExit, match='exists'):
        tool.main([raw, out, '--split', 'val', '--sequences', 'seq1'])
