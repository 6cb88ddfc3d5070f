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
        dict(img=img, gt_bboxes=np.array([[90, 40, 110, 60]], np.float32), gt_rotations=rot[None]))
    # side = 2 * 20 = 40 px -> scale 1: the square fills the central 20x20 of the output.
    assert out['img'].shape == (40, 40, 3)
    assert out['img'][10:30, 10:30].min() == 255
    assert out['img'][:9].max() == 0 and out['img'][31:].max() == 0
    np.testing.assert_allclose(out['crop_bbox'], [80, 30, 120, 70])
    np.testing.assert_allclose(out['gt_bboxes'][0], [10, 10, 30, 30])  # now in the crop's pixels
    np.testing.assert_allclose(out['ori_bbox'], [90, 40, 110, 60])
    # a flip after the crop mirrors the box inside the crop
    flipped = RandomFlip(prob=1.0)(dict(out, gt_bboxes=np.array([[4, 10, 14, 30]], np.float32)))
    np.testing.assert_allclose(flipped['gt_bboxes'][0], [26, 10, 36, 30])
    np.testing.assert_array_equal(out['gt_rotations'][0], rot)  # cropping keeps the pose


def test_crop_head_random_scale_and_shift_stay_in_range():
    np.random.seed(0)
    t = CropHead(input_size=(32, 32), padding=1.0, scale_range=(0.8, 1.2), shift=0.1)
    for _ in range(20):
        out = t(dict(img=np.zeros((64, 64, 3), np.uint8), gt_bboxes=np.array([[16, 16, 48, 48]]),
                     gt_rotations=np.eye(3)[None]))
        x1, y1, x2, y2 = out['crop_bbox']
        side = x2 - x1
        assert side == y2 - y1 and side == int(side)  # snapped to whole pixels
        assert 0.8 * 32 - 0.5 <= side <= 1.2 * 32 + 0.5
        assert abs((x1 + x2) / 2 - 32) <= 0.1 * side + 1.0


@pytest.mark.parametrize('box', [[60, 50, 140, 130],  # the square lies inside: cut + resize
                                 [-20, 10, 60, 90]])  # it crosses the border: warp + pad
def test_crop_head_pixels_follow_the_mapped_box(box):
    """A bright rectangle ends up exactly where the mapped ``bbox`` says, both ways."""
    img = np.zeros((200, 240, 3), np.uint8)
    x1, y1, x2, y2 = box
    img[max(y1, 0):y2, max(x1, 0):x2] = 255
    out = CropHead(input_size=(50, 50), padding=1.5, pad_val=7)(
        dict(img=img, gt_bboxes=np.array([box], np.float32), gt_rotations=np.eye(3)[None]))
    bx1, by1, bx2, by2 = out['gt_bboxes'][0]
    assert out['img'].shape == (50, 50, 3)
    cols = np.flatnonzero(out['img'][int(round((by1 + by2) / 2)), :, 0] > 127)
    rows = np.flatnonzero(out['img'][:, int(round((bx1 + bx2) / 2)), 0] > 127)
    if box[0] >= 0:
        assert abs(cols[0] - bx1) <= 1 and abs(cols[-1] + 1 - bx2) <= 1
    else:  # the part left of the image is padding
        assert out['img'][25, 0, 0] == 7
        assert abs(cols[0] - (bx1 + (0 - box[0]) * (bx2 - bx1) / (x2 - x1))) <= 1
    assert abs(rows[0] - by1) <= 1 and abs(rows[-1] + 1 - by2) <= 1


def test_crop_head_cut_and_warp_agree():
    """The cut-out path gives what warpAffine gives for the same mapping."""
    import cv2

    from headpose.datasets.transforms.geometric import crop_matrix, to_index_matrix
    img = (np.random.default_rng(0).random((120, 160, 3)) * 255).astype(np.uint8)
    img = cv2.GaussianBlur(img, (0, 0), 2.0)  # smooth, like photographs
    out = CropHead(input_size=(64, 64), padding=1.0)(
        dict(img=img, gt_bboxes=np.array([[40.3, 20.6, 121.2, 100.1]], np.float32)))
    x0, y0, x1, _ = out['crop_bbox']
    mat = crop_matrix(np.array([(x0 + x1) / 2, y0 + (x1 - x0) / 2]), x1 - x0, (64, 64))
    warped = cv2.warpAffine(img, to_index_matrix(mat), (64, 64), flags=cv2.INTER_LINEAR)
    assert np.abs(out['img'].astype(int) - warped.astype(int)).max() <= 2


def test_random_flip_applies_pose_rule_and_mirrors():
    img = np.zeros((10, 20, 3), dtype=np.uint8)
    img[:, :5] = 200  # bright on the left
    angles = np.array([40.0, -15.0, 20.0])
    out = RandomFlip(prob=1.0)(dict(img=img, gt_rotations=euler_to_matrix(angles)[None],
                                    gt_bboxes=np.array([[2, 1, 8, 9]], np.float32)))
    assert out['flip'] and out['img'][:, -5:].min() == 200 and out['img'][:, :15].max() == 0
    np.testing.assert_allclose(matrix_to_euler(out['gt_rotations'][0]), [-40.0, -15.0, -20.0],
                               atol=1e-9)
    np.testing.assert_allclose(out['gt_bboxes'][0], [12, 1, 18, 9])
    kept = RandomFlip(prob=0.0)(dict(img=img, gt_rotations=euler_to_matrix(angles)[None]))
    assert not kept['flip']
    np.testing.assert_allclose(matrix_to_euler(kept['gt_rotations'][0]), angles, atol=1e-9)


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
