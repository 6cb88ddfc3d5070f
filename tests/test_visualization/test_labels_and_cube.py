"""Readable drawings: labels inside the picture, legible in a montage; the cube off by default."""

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from headpose.structures import HeadPoseDataSample, euler_to_matrix
from headpose.visualization import (
    HeadPoseVisualizer,
    draw_axes,
    draw_label,
    label_style,
    place_label,
)

ROT = euler_to_matrix(np.array([[30.0, -20.0, 10.0]]))[0]
TEXT = '0.97 y-112 p-45 r-33'


def inside(rect, shape):
    x, y, w, h = rect
    return x >= 0 and y >= 0 and x + w <= shape[1] and y + h <= shape[0]


def overlap(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def sample(box, angles=(30.0, -20.0, 10.0)):
    s = HeadPoseDataSample(metainfo=dict(full_range=False))
    for key, a in (('gt_instances', angles), ('pred_instances', np.add(angles, 5))):
        inst = InstanceData()
        inst.bboxes = torch.tensor([box], dtype=torch.float32)
        inst.rotations = torch.as_tensor(euler_to_matrix(np.array([a]))).float()
        s.set_field(inst, key)
    s.pred_instances.scores = torch.tensor([0.9])
    return s


@pytest.mark.parametrize('box', [(40, 0, 140, 90), (-20, -30, 60, 50), (0, 0, 256, 256),
                                 (200, 230, 256, 256)])
def test_label_inside_the_picture(box):
    """A box at the very top, one sticking out, one filling the picture, one in a corner."""
    img = np.full((256, 256, 3), 255, np.uint8)
    rect = draw_label(img, TEXT, box)
    assert inside(rect, img.shape)
    if box == (40, 0, 140, 90):  # no room above: below the box
        assert rect[1] >= 90


def test_labels_of_one_picture_do_not_overlap():
    img = np.zeros((256, 256, 3), np.uint8)
    taken = []
    for _ in range(3):
        draw_label(img, TEXT, (0, 0, 256, 256), taken=taken)
    assert len(taken) == 3 and all(inside(r, img.shape) for r in taken)
    assert not any(overlap(a, b) for i, a in enumerate(taken) for b in taken[i + 1:])


def test_place_label_tries_above_then_below():
    assert place_label((300, 300), (50, 100, 150, 200), (80, 20))[1] == 80  # above
    assert place_label((300, 300), (50, 10, 150, 200), (80, 20))[1] == 200  # below
    assert place_label((300, 300), (250, 10, 300, 290), (80, 20))[:2] == (220, 10)  # inside


@pytest.mark.parametrize('size', [256, 450, 1080])
def test_label_legible_at_the_montage_size(size):
    """Letters at least 9 px high once the drawing is shrunk to a 192 px montage tile,
    and never wider than the picture."""
    img = np.zeros((size, size, 3), np.uint8)
    box = (0, 0, size, size) if size == 256 else (size * 0.2, size * 0.2, size * 0.8, size * 0.8)
    scale, thick, pad = label_style(TEXT, img.shape, box)
    (tw, th), _ = cv2.getTextSize(TEXT, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    if size <= 450:
        assert th * 192 / size >= 9
    assert tw + 2 * pad <= size
    narrow = label_style(TEXT * 3, (200, 120), (0, 0, 120, 200))
    assert cv2.getTextSize(TEXT * 3, cv2.FONT_HERSHEY_SIMPLEX, narrow[0], narrow[1])[0][0] <= 120


def test_label_band_is_dark():
    img = np.full((200, 200, 3), 255, np.uint8)
    x, y, w, h = draw_label(img, TEXT, (20, 60, 180, 190), color=(0, 255, 255))
    band = img[y:y + h, x:x + w]
    assert (band == 76).all(axis=-1).mean() > 0.5  # 255 * 0.3: the band, around the letters


def test_cube_off_by_default_draws_box_and_axes_only():
    box = (40, 40, 216, 216)
    drawn = HeadPoseVisualizer(name='cube_off').draw_head(
        np.zeros((256, 256, 3), np.uint8), ROT, box, None, '', (0, 255, 255))
    expected = np.zeros((256, 256, 3), np.uint8)
    thick = max(1, round(176 / 80))
    cv2.rectangle(expected, (40, 40), (216, 216), (0, 255, 255), thick)
    draw_axes(expected, ROT, (128, 128), 176 * 0.5, thickness=thick + 1)
    np.testing.assert_array_equal(drawn, expected)
    with_cube = HeadPoseVisualizer(name='cube_on', draw_cube=True).draw_head(
        np.zeros((256, 256, 3), np.uint8), ROT, box, None, '', (0, 255, 255))
    extra = (with_cube != expected).any(-1)
    assert extra.sum() > 100  # the cube's lines
    assert extra.sum() < 0.06 * 256 * 256  # and thin ones


def test_drawn_sample_labels_inside_for_a_crop():
    """gt and prediction of a crop (box = the picture): both labels readable, inside."""
    vis = HeadPoseVisualizer(name='crop_labels')
    img = np.full((256, 256, 3), 255, np.uint8)
    drawn = vis.draw_sample(img, sample((0, 0, 256, 256)))
    rows = np.nonzero((drawn == 76).all(-1).any(1))[0]  # rows holding a dark band
    assert len(rows) and rows.min() >= 0 and rows.max() < 256
    assert (drawn[:rows.max() + 1] != 255).any()
