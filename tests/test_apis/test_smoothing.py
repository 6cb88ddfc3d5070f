"""RotationSmoother: temporal smoothing on rotation matrices, per tracked head."""

import numpy as np
import pytest

from headpose.apis import RotationSmoother
from headpose.structures import euler_to_matrix, geodesic_distance, matrix_to_euler

BOX = np.array([[10, 10, 60, 60]], np.float64)


def test_constant_rotation_is_kept_and_results_are_rotations():
    rot = euler_to_matrix(np.array([[30.0, -10.0, 5.0]]))
    sm = RotationSmoother(momentum=0.8)
    for _ in range(5):
        out, ids = sm.update(BOX, rot)
    np.testing.assert_allclose(out, rot, atol=1e-9)
    assert ids.tolist() == [0]
    noisy = euler_to_matrix(np.array([[30.0, -10.0, 5.0]]) + np.random.default_rng(0).normal(
        0, 5, (1, 3)))
    out, _ = sm.update(BOX, noisy * 1.0)
    np.testing.assert_allclose(out[0] @ out[0].T, np.eye(3), atol=1e-9)
    assert np.linalg.det(out[0]) == pytest.approx(1.0)


def test_smoothing_reduces_jitter():
    rng = np.random.default_rng(1)
    truth = np.array([20.0, 10.0, 0.0])
    raw = euler_to_matrix(truth + rng.normal(0, 4, (60, 3)))
    sm = RotationSmoother(momentum=0.7)
    smooth = np.stack([sm.update(BOX, r[None])[0][0] for r in raw])
    ref = euler_to_matrix(truth)
    assert geodesic_distance(smooth[10:], ref).mean() < 0.6 * geodesic_distance(raw[10:],
                                                                                  ref).mean()


def test_no_jump_across_the_yaw_wrap():
    """Yaw 178 -> -178: averaging angles would pass through 0; averaging matrices stays at
    the back of the head."""
    sm = RotationSmoother(momentum=0.5)
    sm.update(BOX, euler_to_matrix(np.array([[178.0, 0, 0]])))
    out, _ = sm.update(BOX, euler_to_matrix(np.array([[-178.0, 0, 0]])))
    yaw = matrix_to_euler(out, full_range=True)[0, 0]
    assert abs(abs(yaw) - 180.0) < 2.5


def test_heads_are_tracked_separately_and_forgotten():
    a = euler_to_matrix(np.array([0.0, 0, 0]))
    b = euler_to_matrix(np.array([60.0, 0, 0]))
    boxes = np.array([[0, 0, 50, 50], [100, 0, 150, 50]], np.float64)
    sm = RotationSmoother(momentum=0.9, max_missing=1)
    sm.update(boxes, np.stack([a, b]))
    out, ids = sm.update(boxes[::-1] + 2, np.stack([b, a]))  # order swapped, boxes moved
    assert ids.tolist() == [1, 0]
    np.testing.assert_allclose(out, np.stack([b, a]), atol=1e-9)
    sm.update(np.zeros((0, 4)), np.zeros((0, 3, 3)))
    sm.update(np.zeros((0, 4)), np.zeros((0, 3, 3)))
    _, ids = sm.update(boxes[:1], a[None])
    assert ids.tolist() == [2]  # the old tracks were dropped
    with pytest.raises(ValueError, match='momentum'):
        RotationSmoother(momentum=1.0)
