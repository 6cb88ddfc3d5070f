"""Tests of the pose core against scipy and hand-computed values."""

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from headpose.structures import (
    euler_to_matrix,
    flip_euler,
    flip_rotation,
    geodesic_distance,
    head_motion_to_matrix,
    matrix_to_euler,
    matrix_to_head_motion,
    project_to_rotation,
    rotate_in_plane,
    wrapped_angle_error,
)


def primed(pitch, yaw, roll):
    """R = Rx'(pitch) Ry'(yaw) Rz'(roll), written exactly as the 300W-LP README does."""
    def rx(a):
        c, s = np.cos(a), np.sin(a)
        return np.array([[1, 0, 0], [0, c, s], [0, -s, c]])

    def ry(a):
        c, s = np.cos(a), np.sin(a)
        return np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]])

    def rz(a):
        c, s = np.cos(a), np.sin(a)
        return np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]])

    return rx(np.radians(pitch)) @ ry(np.radians(yaw)) @ rz(np.radians(roll))


def random_angles(n, seed=0, yaw_max=89.0, other_max=89.0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(-yaw_max, yaw_max, n), rng.uniform(-other_max, other_max, n),
                     rng.uniform(-other_max, other_max, n)], axis=1)


def test_euler_to_matrix_matches_primed_form_and_scipy():
    angles = random_angles(50)
    r = euler_to_matrix(angles)
    for (yaw, pitch, roll), ri in zip(angles, r):
        np.testing.assert_allclose(ri, primed(pitch, yaw, roll), atol=1e-12)
    # Independent: scipy's intrinsic ZYX (roll, yaw, pitch) gives Rz Ry Rx; ours is its transpose.
    ref = Rotation.from_euler('ZYX', angles[:, [2, 0, 1]], degrees=True).as_matrix()
    np.testing.assert_allclose(r, ref.transpose(0, 2, 1), atol=1e-12)


def test_hand_computed_yaw_90():
    # yaw = 90: Ry'(90) = [[0,0,-1],[0,1,0],[1,0,0]]; the face (model +z) points to camera -x.
    r = euler_to_matrix(np.array([90.0, 0.0, 0.0]))
    np.testing.assert_allclose(r, [[0, 0, -1], [0, 1, 0], [1, 0, 0]], atol=1e-12)


def test_visual_signs():
    # yaw > 0: face toward the image's left (camera -x); pitch > 0: face up (camera +y).
    assert euler_to_matrix(np.array([30.0, 0, 0]))[0, 2] < 0
    assert euler_to_matrix(np.array([0, 30.0, 0]))[1, 2] > 0


def test_round_trip_narrow_and_types():
    angles = random_angles(200, seed=1)
    back = matrix_to_euler(euler_to_matrix(angles))
    np.testing.assert_allclose(back, angles, atol=1e-9)
    t = torch.tensor(angles, dtype=torch.float32)
    back_t = matrix_to_euler(euler_to_matrix(t))
    assert isinstance(back_t, torch.Tensor) and back_t.dtype == torch.float32
    torch.testing.assert_close(back_t, t, atol=1e-3, rtol=0)


def test_full_range_branch():
    rng = np.random.default_rng(2)
    angles = np.stack([rng.uniform(-179.9, 180, 300), rng.uniform(-89, 89, 300),
                       rng.uniform(-89, 89, 300)], axis=1)
    back = matrix_to_euler(euler_to_matrix(angles), full_range=True)
    np.testing.assert_allclose(back, angles, atol=1e-9)
    # The narrow branch gives an equivalent triple with |yaw| <= 90 for a back view.
    narrow = matrix_to_euler(euler_to_matrix(np.array([150.0, 10.0, 5.0])))
    assert abs(narrow[0]) <= 90
    np.testing.assert_allclose(euler_to_matrix(narrow), euler_to_matrix(np.array([150.0, 10, 5])),
                               atol=1e-12)
    # yaw = 180 exactly stays +180 (range (-180, 180]).
    assert matrix_to_euler(euler_to_matrix(np.array([180.0, 0, 0])), full_range=True)[0] == \
        pytest.approx(180.0)


def test_flip_rule():
    angles = random_angles(20, seed=3)
    r = euler_to_matrix(angles)
    np.testing.assert_allclose(flip_rotation(r), euler_to_matrix(flip_euler(angles)), atol=1e-12)
    np.testing.assert_allclose(flip_euler(angles)[:, 1], angles[:, 1])
    np.testing.assert_allclose(flip_euler(angles)[:, [0, 2]], -angles[:, [0, 2]])


def test_rotate_in_plane_frontal_changes_roll():
    r = euler_to_matrix(np.array([0.0, 0.0, 10.0]))
    np.testing.assert_allclose(matrix_to_euler(rotate_in_plane(r, 25.0)), [0, 0, -15.0],
                               atol=1e-9)
    # Against scipy: a rotation of the camera frame about z.
    r = euler_to_matrix(np.array([40.0, -20.0, 5.0]))
    ref = Rotation.from_euler('z', 25.0, degrees=True).as_matrix() @ r
    np.testing.assert_allclose(rotate_in_plane(r, 25.0), ref, atol=1e-12)


def test_project_to_rotation():
    rng = np.random.default_rng(4)
    rots = Rotation.random(30, random_state=5).as_matrix()
    noisy = rots + rng.normal(0, 0.05, rots.shape)
    proj = project_to_rotation(noisy)
    np.testing.assert_allclose(np.linalg.det(proj), 1.0, atol=1e-9)
    eye = np.broadcast_to(np.eye(3), proj.shape)
    np.testing.assert_allclose(proj @ proj.transpose(0, 2, 1), eye, atol=1e-9)
    # Independent: the nearest rotation by scipy's Kabsch/align_vectors on the basis vectors.
    for m, p in zip(noisy, proj):
        ref, _ = Rotation.align_vectors(m.T, np.eye(3))
        np.testing.assert_allclose(p, ref.as_matrix(), atol=1e-6)
    # A reflection is fixed to a rotation, not returned as is.
    refl = np.diag([1.0, 1.0, -1.0])
    assert np.linalg.det(project_to_rotation(refl)) == pytest.approx(1.0)
    # An exact rotation is left unchanged.
    np.testing.assert_allclose(project_to_rotation(rots), rots, atol=1e-9)


def test_geodesic_distance():
    a = euler_to_matrix(random_angles(20, seed=6))
    b = euler_to_matrix(random_angles(20, seed=7))
    ref = np.degrees((Rotation.from_matrix(a).inv() * Rotation.from_matrix(b)).magnitude())
    np.testing.assert_allclose(geodesic_distance(a, b), ref, atol=1e-5)
    assert geodesic_distance(euler_to_matrix(np.array([0.0, 0, 0])),
                             euler_to_matrix(np.array([37.0, 0, 0]))) == pytest.approx(37.0)


def test_wrapped_angle_error():
    err = wrapped_angle_error(np.array([179.0, -170.0, 10.0, 0.0]),
                              np.array([-179.0, 170.0, -20.0, 360.0]))
    np.testing.assert_allclose(err, [2.0, 20.0, 30.0, 0.0])


def test_shape_errors_name_the_argument():
    with pytest.raises(ValueError, match='angles'):
        euler_to_matrix(np.zeros((4, 2)))
    with pytest.raises(ValueError, match='rotation'):
        matrix_to_euler(np.zeros((4, 3)))


def test_head_motion_against_scipy_and_by_hand():
    # R = Ry(-turn) Rx(-nod) Rz(-tilt): scipy's intrinsic 'YXZ' with negated angles.
    angles = random_angles(500, seed=3, yaw_max=179.0, other_max=89.0)
    rot = head_motion_to_matrix(angles)
    expected = Rotation.from_euler('YXZ', -np.radians(angles)).as_matrix()
    np.testing.assert_allclose(rot, expected, atol=1e-12)
    np.testing.assert_allclose(matrix_to_head_motion(rot), angles, atol=1e-9)
    back = matrix_to_head_motion(torch.tensor(rot, dtype=torch.float32))
    assert isinstance(back, torch.Tensor) and back.dtype == torch.float32
    # Signs as the Euler angles': turn > 0 moves the nose to the image's left (-x), nod > 0
    # up (+y); turn 90 faces -x whatever the nod, which then turns the face's up vector
    # in the image plane (a profile nodding).
    assert head_motion_to_matrix(np.array([30.0, 0, 0]))[0, 2] < 0
    assert head_motion_to_matrix(np.array([0, 20.0, 0]))[1, 2] > 0
    r = head_motion_to_matrix(np.array([90.0, -20.0, 0.0]))
    np.testing.assert_allclose(r[:, 2], [-np.cos(np.radians(20)), -np.sin(np.radians(20)), 0],
                               atol=1e-12)
    np.testing.assert_allclose(r[:, 1], [-np.sin(np.radians(20)), np.cos(np.radians(20)), 0],
                               atol=1e-12)
    # Half-turns come out as +180 (range (-180, 180]), not as atan2's negated 180.
    np.testing.assert_array_equal(matrix_to_head_motion(np.diag([-1.0, 1.0, -1.0])),
                                  [180.0, 0.0, 0.0])
    np.testing.assert_array_equal(matrix_to_head_motion(np.diag([-1.0, -1.0, 1.0])),
                                  [0.0, 0.0, 180.0])


def test_head_motion_and_euler_agree_small_and_part_at_large_yaw():
    small = random_angles(200, seed=4, yaw_max=3.0, other_max=3.0)
    diff = matrix_to_euler(head_motion_to_matrix(small)) - small
    assert np.abs(diff).max() < 0.2  # second order: 3 degrees -> under 0.2
    # Turn 80 with nod -20: independently, the Euler convention as scipy's intrinsic 'XYZ'.
    euler = matrix_to_euler(head_motion_to_matrix(np.array([80.0, -20.0, 0.0])))
    r = Rotation.from_euler('YXZ', -np.radians([80.0, -20.0, 0.0]))
    pitch, yaw, roll = -np.degrees(r.as_euler('XYZ'))
    np.testing.assert_allclose(euler, [yaw, pitch, roll], atol=1e-9)
    np.testing.assert_allclose(euler, [67.7, -64.5, -62.7], atol=0.05)
