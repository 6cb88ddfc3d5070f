"""Ground-truth axes drawn on the real AFLW2000 samples point where their labels say."""

import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from headpose.structures import HeadPoseDataSample, euler_to_matrix
from headpose.testing import REAL_SAMPLES
from headpose.visualization import HeadPoseVisualizer

AFLW = osp.join(REAL_SAMPLES, 'aflw2000')
JPGS = sorted(glob.glob(osp.join(AFLW, '*.jpg')))
needs_samples = pytest.mark.skipif(
    not JPGS, reason=f'the real AFLW2000 samples are not in {AFLW} (research-only data, '
    'kept outside the repository)')


def _read(jpg):
    import sys
    sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..'))
    from tools.misc.draw_convention_figures import read_aflw2000
    return read_aflw2000(jpg)


def _nose_tip_offset(img, drawn, center):
    """Offset (d_col, d_row) of the drawn nose axis' tip: the blue pixel the drawing
    changed that lies farthest from the head centre."""
    changed = np.abs(drawn.astype(int) - img.astype(int)).sum(-1) > 0
    b, g, r = [drawn[..., k].astype(int) for k in range(3)]
    blue = changed & (b > 180) & (g < 90) & (r < 90)
    rows, cols = np.nonzero(blue)
    assert len(rows) > 0, 'no blue (nose axis) pixel was drawn'
    d = np.stack([cols - center[0], rows - center[1]], 1)
    return d[np.argmax(np.hypot(d[:, 0], d[:, 1]))]


@needs_samples
@pytest.mark.parametrize('jpg', JPGS, ids=[osp.basename(p) for p in JPGS])
def test_drawn_nose_axis_follows_the_labels(jpg):
    img, angles, rot, box = _read(jpg)
    yaw, pitch, _ = angles
    vis = HeadPoseVisualizer(name=f'axes_{osp.basename(jpg)}', draw_cube=False)
    drawn = vis.draw_head(img.copy(), rot, box, None, '', (255, 255, 255))
    center = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    d_col, d_row = _nose_tip_offset(img, drawn, center)
    if abs(yaw) > 3:  # yaw > 0: the face, so the nose axis, turns to the image's left
        assert np.sign(d_col) == -np.sign(yaw), (yaw, d_col)
    if abs(pitch) > 3:  # pitch > 0: up, i.e. toward smaller rows
        assert np.sign(-d_row) == np.sign(pitch), (pitch, d_row)
    # The length of the drawn nose axis matches R's projection, |(R[0,2], R[1,2])|.
    half = max(box[2] - box[0], box[3] - box[1]) * vis.axis_scale
    expected = half * np.hypot(rot[0, 2], rot[1, 2])
    assert abs(np.hypot(d_col, d_row) - expected) < 4 + 0.1 * expected


@needs_samples
@pytest.mark.parametrize('jpg', JPGS, ids=[osp.basename(p) for p in JPGS])
def test_labels_agree_with_the_face_geometry(jpg):
    """Independent of the drawing code: the nose-tip landmark lies on the side of the
    jaw's midpoint that the yaw label and the drawn axis say."""
    import scipy.io as sio
    img, angles, rot, box = _read(jpg)
    pts = sio.loadmat(osp.splitext(jpg)[0] + '.mat')['pt3d_68'][:2]
    nose_minus_jaw = pts[0, 30] - (pts[0, 0] + pts[0, 16]) / 2
    if abs(angles[0]) > 10:
        assert np.sign(nose_minus_jaw) == -np.sign(angles[0])
        assert np.sign(nose_minus_jaw) == np.sign(rot[0, 2])  # the drawn column offset


def test_draw_sample_predictions_and_ground_truth(tmp_path):
    img = np.full((120, 160, 3), 40, np.uint8)
    vis = HeadPoseVisualizer(name='draw_sample_test')
    sample = HeadPoseDataSample(metainfo=dict(bbox=(20, 20, 100, 100)))
    sample.gt_rotation = torch.as_tensor(euler_to_matrix(np.array([30.0, 0, 0])),
                                         dtype=torch.float32)
    sample.gt_pose = torch.tensor([30.0, 0, 0])
    inst = InstanceData()
    inst.bboxes = torch.tensor([[90.0, 30, 150, 90]])
    inst.scores = torch.tensor([0.8])
    inst.rotations = torch.as_tensor(euler_to_matrix(np.array([[-30.0, 10, 0]])),
                                     dtype=torch.float32)
    inst.poses = torch.tensor([[-30.0, 10, 0]])
    sample.pred_instances = inst
    out = vis.draw_sample(img, sample)
    assert out.shape == img.shape and (img == 40).all(), 'the input must not be drawn on'
    assert (out != img).any(axis=-1)[20:100, 20:100].any()
    assert (out != img).any(axis=-1)[30:90, 90:150].any()
    only_gt = vis.draw_sample(img, sample, draw_pred=False)
    assert not (only_gt != img).any(axis=-1)[35:85, 125:150].any()
    path = tmp_path / 'drawn.png'
    vis.add_datasample('x', img, sample, out_file=str(path))
    assert cv2.imread(str(path)).shape == img.shape
