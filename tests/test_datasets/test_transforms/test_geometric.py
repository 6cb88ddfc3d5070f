"""Tests of CropHead and RandomFlip: hand-computed geometry, and pose labels kept right."""

import numpy as np
import pytest

from headpose.datasets.transforms import CropHead, RandomFlip
from headpose.structures import euler_to_matrix, matrix_to_euler


def test_crop_head_maps_box_onto_output():
    img = np.zeros((100, 200, 3), dtype=np.uint8)
    img[40:60, 90:110] = 255  # a white 20x20 square centred at (100, 50)
    rot = euler_to_matrix(np.array([30.0, 10.0, -5.0]))
    out = CropHead(input_size=(40, 40), padding=2.0)(
        dict(img=img, bbox=np.array([90, 40, 110, 60], np.float32), rotation=rot))
    # side = 2 * 20 = 40 px -> scale 1: the square fills the central 20x20 of the output.
    assert out['img'].shape == (40, 40, 3)
    assert out['img'][10:30, 10:30].min() == 255
    assert out['img'][:9].max() == 0 and out['img'][31:].max() == 0
    np.testing.assert_allclose(out['crop_bbox'], [80, 30, 120, 70])
    np.testing.assert_allclose(out['bbox'], [10, 10, 30, 30])  # now in the crop's pixels
    np.testing.assert_allclose(out['ori_bbox'], [90, 40, 110, 60])
    # a flip after the crop mirrors the box inside the crop
    flipped = RandomFlip(prob=1.0)(dict(out, bbox=np.array([4, 10, 14, 30], np.float32)))
    np.testing.assert_allclose(flipped['bbox'], [26, 10, 36, 30])
    np.testing.assert_array_equal(out['rotation'], rot)  # cropping keeps the pose


def test_crop_head_random_scale_and_shift_stay_in_range():
    np.random.seed(0)
    t = CropHead(input_size=(32, 32), padding=1.0, scale_range=(0.8, 1.2), shift=0.1)
    for _ in range(20):
        out = t(dict(img=np.zeros((64, 64, 3), np.uint8), bbox=np.array([16, 16, 48, 48]),
                     rotation=np.eye(3)))
        x1, y1, x2, y2 = out['crop_bbox']
        side = x2 - x1
        assert 0.8 * 32 - 1e-3 <= side <= 1.2 * 32 + 1e-3
        assert abs((x1 + x2) / 2 - 32) <= 0.1 * side + 1e-3


def test_random_flip_applies_pose_rule_and_mirrors():
    img = np.zeros((10, 20, 3), dtype=np.uint8)
    img[:, :5] = 200  # bright on the left
    angles = np.array([40.0, -15.0, 20.0])
    out = RandomFlip(prob=1.0)(dict(img=img, rotation=euler_to_matrix(angles),
                                    bbox=np.array([2, 1, 8, 9], np.float32)))
    assert out['flip'] and out['img'][:, -5:].min() == 200 and out['img'][:, :15].max() == 0
    np.testing.assert_allclose(matrix_to_euler(out['rotation']), [-40.0, -15.0, -20.0],
                               atol=1e-9)
    np.testing.assert_allclose(out['bbox'], [12, 1, 18, 9])
    kept = RandomFlip(prob=0.0)(dict(img=img, rotation=euler_to_matrix(angles)))
    assert not kept['flip']
    np.testing.assert_allclose(matrix_to_euler(kept['rotation']), angles, atol=1e-9)


def test_random_flip_many_heads():
    rots = euler_to_matrix(np.array([[10.0, 5, 3], [-100.0, 20, -30]]))
    out = RandomFlip(prob=1.0)(dict(img=np.zeros((10, 10, 3), np.uint8), gt_rotations=rots,
                                    gt_bboxes=np.array([[0, 0, 2, 2], [5, 5, 10, 10]],
                                                       np.float32)))
    np.testing.assert_allclose(matrix_to_euler(out['gt_rotations'], full_range=True),
                               [[-10, 5, -3], [100, 20, 30]], atol=1e-9)
    np.testing.assert_allclose(out['gt_bboxes'], [[8, 0, 10, 2], [0, 5, 5, 10]])


def test_flip_probability_checked():
    with pytest.raises(ValueError, match='prob'):
        RandomFlip(prob=1.5)


def test_random_flip_keeps_released_angles_exact():
    released = np.array([95.0, 10.0, 5.0])
    out = RandomFlip(prob=1.0)(dict(img=np.zeros((4, 4, 3), np.uint8),
                                    rotation=euler_to_matrix(released), pose=released))
    np.testing.assert_allclose(out['pose'], [-95.0, 10.0, -5.0])
    np.testing.assert_allclose(out['rotation'], euler_to_matrix(out['pose']), atol=1e-12)
