"""Detection transforms: a flipped or rotated scene must get flipped or rotated labels."""

import numpy as np
import pytest

from headpose.datasets.synthheads.renderer import mask_to_bbox, render_head_layer, sample_identity
from headpose.datasets.transforms import (
    FilterHeads,
    LetterBox,
    PhotoMetricDistortion,
    RandomAffine,
    RandomFlip,
)
from headpose.structures import euler_to_matrix, matrix_to_euler, rotate_in_plane

LIGHT = (0.0, 0.0, 1.0)  # along the optical axis: unchanged by in-plane rotations and flips
SIZE = 96


def render(identity, rotation, offset=(0.0, 0.0)):
    """A head on a black background; its box (neck excluded)."""
    layer = render_head_layer(identity, rotation, SIZE, LIGHT, scale=0.45, offset=offset,
                              ambient=0.5)
    img = (np.clip(layer.bgr, 0, 1) * 255).astype(np.uint8)
    return img, mask_to_bbox(layer.head_mask)


@pytest.fixture(scope='module')
def identity():
    ident = sample_identity(np.random.default_rng(3))
    ident['neck'] = False  # the neck stays upright in the camera frame; leave it out
    return ident


def scene(identity, angles, offset=(0.0, 0.0)):
    rot = euler_to_matrix(np.asarray(angles, float))
    img, box = render(identity, rot, offset)
    return dict(img=img, gt_bboxes=box[None], gt_rotations=rot[None], img_shape=img.shape[:2])


def test_rotating_a_scene_by_90_degrees_rotates_its_labels(identity):
    # A frontal head right of the centre; rotate the image 90 degrees counter-clockwise.
    results = scene(identity, [0.0, 0.0, 0.0], offset=(20.0, 0.0))
    box = results['gt_bboxes'][0].copy()
    out = RandomAffine(border_val=0).apply(results, angle=90.0)
    # Labels: the head moves above the centre; its box turns; its roll becomes -90.
    (yaw, pitch, roll), = matrix_to_euler(out['gt_rotations'], full_range=True)
    assert (yaw, pitch) == pytest.approx((0.0, 0.0), abs=1e-6)
    assert roll == pytest.approx(-90.0, abs=1e-6)
    c = SIZE / 2
    expected_box = [c + (box[1] - c), c - (box[2] - c), c + (box[3] - c), c - (box[0] - c)]
    np.testing.assert_allclose(out['gt_bboxes'][0], expected_box, atol=1e-3)
    # Image: the rotated picture is the rendering of the rotated pose at the rotated place.
    direct, direct_box = render(identity, rotate_in_plane(euler_to_matrix(np.zeros(3)), 90.0),
                                offset=(0.0, -20.0))
    assert np.mean(np.abs(out['img'].astype(float) - direct.astype(float))) < 3.5
    np.testing.assert_allclose(out['gt_bboxes'][0], direct_box, atol=1.5)


def test_rotation_of_a_turned_head_changes_only_its_roll_label(identity):
    results = scene(identity, [150.0, 20.0, 10.0])
    out = RandomAffine(border_val=0).apply(results, angle=30.0)
    direct, _ = render(identity, out['gt_rotations'][0])
    assert np.mean(np.abs(out['img'].astype(float) - direct.astype(float))) < 3.5


def test_flipping_a_scene_flips_its_labels(identity):
    angles = [60.0, 10.0, 20.0]
    results = scene(identity, angles, offset=(15.0, 5.0))
    box = results['gt_bboxes'][0].copy()
    out = RandomFlip(prob=1.0).transform(results)
    np.testing.assert_allclose(out['gt_bboxes'][0], [SIZE - box[2], box[1], SIZE - box[0],
                                                     box[3]])
    yaw, pitch, roll = matrix_to_euler(out['gt_rotations'][0])
    assert (yaw, pitch, roll) == pytest.approx((-60.0, 10.0, -20.0), abs=1e-6)
    # The mirrored head is where the flipped pose renders it (appearance may differ by the
    # identity's own asymmetries, so only its box is compared).
    _, direct_box = render(identity, out['gt_rotations'][0], offset=(-15.0, 5.0))
    np.testing.assert_allclose(out['gt_bboxes'][0], direct_box, atol=3.0)


def test_random_affine_drops_heads_pushed_out_and_clips_others():
    img = np.zeros((100, 100, 3), np.uint8)
    rots = euler_to_matrix(np.array([[0, 0, 0], [90, 0, 0], [0, 30, 0]], float))
    boxes = np.array([[40, 40, 60, 60], [85, 40, 99, 60], [0, 0, 10, 10]], np.float32)
    out = RandomAffine(min_area_ratio=0.5).apply(
        dict(img=img, gt_bboxes=boxes, gt_rotations=rots), angle=0.0, tx=10.0)
    # Shift right by 10: the middle head moves, the right one is mostly out (dropped),
    # the left one stays whole.
    np.testing.assert_allclose(out['gt_bboxes'], [[50, 40, 70, 60], [10, 0, 20, 10]])
    np.testing.assert_allclose(out['gt_rotations'], rots[[0, 2]])


def test_letterbox_scales_pads_and_records():
    img = np.full((50, 200, 3), 200, np.uint8)
    out = LetterBox(scale=(100, 100), pad_val=114).transform(
        dict(img=img, gt_bboxes=np.array([[100, 10, 120, 30]], np.float32)))
    assert out['img'].shape == (100, 100, 3)
    assert out['scale_factor'] == (0.5, 0.5)
    np.testing.assert_array_equal(out['pad_param'], [37, 38, 0, 0])
    np.testing.assert_allclose(out['gt_bboxes'], [[50, 42, 60, 52]])
    assert out['img'][0, 0, 0] == 114 and out['img'][50, 50, 0] == 200


def test_photometric_distortion_keeps_labels_and_type():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
    boxes = np.array([[1, 2, 3, 4]], np.float32)
    np.random.seed(0)
    out = PhotoMetricDistortion(prob=1.0).transform(dict(img=img.copy(), gt_bboxes=boxes))
    assert out['img'].dtype == np.uint8 and out['img'].shape == img.shape
    assert not np.array_equal(out['img'], img)
    np.testing.assert_array_equal(out['gt_bboxes'], boxes)


def test_filter_heads_drops_degenerate_boxes_with_their_rotations():
    rots = euler_to_matrix(np.array([[0, 0, 0], [45, 0, 0]], float))
    out = FilterHeads(min_size=2).transform(dict(
        gt_bboxes=np.array([[0, 0, 1, 10], [0, 0, 5, 5]], np.float32), gt_rotations=rots))
    np.testing.assert_allclose(out['gt_rotations'], rots[1:])
    assert out['gt_bboxes'].shape == (1, 4)
