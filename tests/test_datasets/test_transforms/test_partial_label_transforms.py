"""Partial labels (``gt_angle_weights``) travel with their heads through the pipeline."""

import numpy as np
import pytest

from headpose.datasets.transforms import (
    CropHead,
    FilterHeads,
    PackHeadPoseInputs,
    RandomAffine,
    RandomFlip,
)
from headpose.structures import euler_to_matrix, matrix_to_euler


def results(angles, weights, boxes=None):
    img = np.zeros((60, 80, 3), np.uint8)
    out = dict(img=img, img_shape=img.shape[:2], img_path='x.jpg',
               gt_rotations=euler_to_matrix(np.asarray(angles, float).reshape(-1, 3)),
               gt_angle_weights=np.asarray(weights, np.float32).reshape(-1, 3))
    if boxes is not None:
        out['gt_bboxes'] = np.asarray(boxes, np.float32).reshape(-1, 4)
    return out


def test_a_flip_keeps_each_weight_with_its_angle():
    res = RandomFlip(prob=1.0).transform(results([[30.0, 10.0, 5.0]], [[1.0, 0.0, 0.5]]))
    np.testing.assert_allclose(matrix_to_euler(res['gt_rotations'][0]), [-30.0, 10.0, -5.0],
                               atol=1e-9)
    np.testing.assert_array_equal(res['gt_angle_weights'], [[1.0, 0.0, 0.5]])


def test_packing_carries_the_weights_and_checks_them():
    res = CropHead(input_size=(32, 32)).transform(results([[30.0, 10.0, 5.0]], [[1, 0, 1]]))
    sample = PackHeadPoseInputs().transform(res)['data_samples']
    assert sample.gt_instances.angle_weights.tolist() == [[1.0, 0.0, 1.0]]
    # no weights: no field (every angle known)
    res.pop('gt_angle_weights')
    assert 'angle_weights' not in PackHeadPoseInputs().transform(res)['data_samples'].gt_instances
    res['gt_angle_weights'] = np.array([[1.0, -1.0, 1.0]])
    with pytest.raises(ValueError, match='x.jpg: gt_angle_weights'):
        PackHeadPoseInputs().transform(res)


def test_turning_a_picture_mixes_the_angles_and_so_their_weights():
    boxes = [[10, 10, 30, 30], [40, 10, 60, 30]]
    res = RandomAffine().apply(results([[30, 0, 0], [0, 0, 0]], [[1, 0, 0], [1, 1, 1]], boxes),
                               angle=10.0)
    np.testing.assert_array_equal(res['gt_angle_weights'], [[0, 0, 0], [1, 1, 1]])
    # no turn: the weights stay as they are
    res = RandomAffine().apply(results([[30, 0, 0], [0, 0, 0]], [[1, 0, 0], [1, 1, 1]], boxes),
                               angle=0.0)
    np.testing.assert_array_equal(res['gt_angle_weights'], [[1, 0, 0], [1, 1, 1]])


def test_dropping_a_head_drops_its_weights():
    res = FilterHeads(min_size=5).transform(results(
        [[10, 0, 0], [20, 0, 0]], [[1, 0, 0], [1, 1, 1]], [[0, 0, 2, 2], [10, 10, 30, 30]]))
    np.testing.assert_array_equal(res['gt_angle_weights'], [[1, 1, 1]])
    assert len(res['gt_rotations']) == 1
