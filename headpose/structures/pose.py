"""The pose core: Euler angles <-> rotation matrices, flips, SVD projection and errors.

The convention (see ``docs/conventions.md``) is the one of 300W-LP / AFLW2000:

* public angles are ``(yaw, pitch, roll)`` in degrees, in this order, with
  ``yaw = Pose_Para[1]``, ``pitch = Pose_Para[0]``, ``roll = Pose_Para[2]``;
* ``R = Rx'(pitch) @ Ry'(yaw) @ Rz'(roll)`` with the primed forms
  ``Rx'(a) = [[1,0,0],[0,c,s],[0,-s,c]]``, ``Ry'(a) = [[c,0,-s],[0,1,0],[s,0,c]]``,
  ``Rz'(a) = [[c,s,0],[-s,c,0],[0,0,1]]``; equivalently ``R = (Rz(roll) Ry(yaw) Rx(pitch))^T``
  with standard right-handed elementary rotations;
* ``R`` maps head-model coordinates into the camera frame (x right, y up, z toward
  the viewer), so ``R[:, 2]`` is the direction the face points to.

Every function accepts numpy arrays or torch tensors of any batch shape ``(..., 3)``
or ``(..., 3, 3)`` and returns the same kind (numpy results are computed in float64).
"""

from typing import Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, torch.Tensor]

#: The horizontal image flip as a change of camera frame: x -> -x.
FLIP_MATRIX = np.diag([-1.0, 1.0, 1.0])


def _to_torch(x) -> tuple:
    """Returns ``(tensor, was_numpy)``; numpy input becomes a float64 tensor."""
    if isinstance(x, torch.Tensor):
        return (x if x.is_floating_point() else x.float()), False
    return torch.as_tensor(np.asarray(x, dtype=np.float64)), True


def _back(x: torch.Tensor, was_numpy: bool) -> ArrayLike:
    return x.numpy() if was_numpy else x


def _check_last(x: torch.Tensor, shape: tuple, name: str) -> None:
    if tuple(x.shape[x.dim() - len(shape):]) != shape:
        raise ValueError(f'{name} must have shape (..., {", ".join(map(str, shape))}), '
                         f'got {tuple(x.shape)}')


def euler_to_matrix(angles: ArrayLike) -> ArrayLike:
    """Converts ``(yaw, pitch, roll)`` in degrees into rotation matrices.

    Args:
        angles: ``(..., 3)`` angles (yaw, pitch, roll) in degrees.

    Returns:
        ``(..., 3, 3)`` rotation matrices ``R = (Rz(roll) Ry(yaw) Rx(pitch))^T``.
    """
    a, was_numpy = _to_torch(angles)
    _check_last(a, (3, ), 'angles')
    yaw, pitch, roll = torch.deg2rad(a).unbind(-1)
    cy, sy = torch.cos(yaw), torch.sin(yaw)
    cp, sp = torch.cos(pitch), torch.sin(pitch)
    cr, sr = torch.cos(roll), torch.sin(roll)
    # M = Rz(roll) @ Ry(yaw) @ Rx(pitch), written out; R = M^T.
    m = torch.stack([
        cr * cy, cr * sy * sp - sr * cp, cr * sy * cp + sr * sp,
        sr * cy, sr * sy * sp + cr * cp, sr * sy * cp - cr * sp,
        -sy, cy * sp, cy * cp,
    ], dim=-1).reshape(*a.shape[:-1], 3, 3)
    return _back(m.transpose(-1, -2).contiguous(), was_numpy)


def _half_open(degrees: torch.Tensor) -> torch.Tensor:
    """Angles from atan2 in [-180, 180] -> (-180, 180], the toolbox's range (atan2 gives
    -180 for a negative zero, and the head-motion angles are negated after it)."""
    return torch.where(degrees <= -180.0, degrees + 360.0, degrees)


def matrix_to_euler(rotation: ArrayLike, full_range: bool = False) -> ArrayLike:
    """Converts rotation matrices into ``(yaw, pitch, roll)`` in degrees.

    Args:
        rotation: ``(..., 3, 3)`` rotation matrices.
        full_range: Which of the two Euler solutions to return. ``False`` (narrow
            range, the usual one for 300W-LP / AFLW2000 / BIWI): yaw in [-90, 90].
            ``True`` (full range, for data with heads seen from behind): yaw in
            (-180, 180] and pitch in [-90, 90].

    Returns:
        ``(..., 3)`` angles (yaw, pitch, roll) in degrees.
    """
    r, was_numpy = _to_torch(rotation)
    _check_last(r, (3, 3), 'rotation')
    m = r.transpose(-1, -2)  # M = Rz(roll) Ry(yaw) Rx(pitch)
    m00, m10, m20 = m[..., 0, 0], m[..., 1, 0], m[..., 2, 0]
    m21, m22 = m[..., 2, 1], m[..., 2, 2]
    if full_range:
        # Choose cos(pitch) >= 0; the sign of cos(yaw) is then the sign of M[2, 2].
        s = torch.where(m22 < 0, -torch.ones_like(m22), torch.ones_like(m22))
        yaw = torch.atan2(-m20, s * torch.hypot(m21, m22))
        pitch = torch.atan2(s * m21, s * m22)
        roll = torch.atan2(s * m10, s * m00)
    else:
        yaw = torch.atan2(-m20, torch.hypot(m21, m22))
        pitch = torch.atan2(m21, m22)
        roll = torch.atan2(m10, m00)
    out = torch.rad2deg(torch.stack([yaw, pitch, roll], dim=-1))
    return _back(_half_open(out), was_numpy)


def head_motion_to_matrix(angles: ArrayLike) -> ArrayLike:
    """Converts ``(turn, nod, tilt)`` in degrees, the way a person moves the head, into
    rotation matrices.

    The head turns about the vertical axis (``turn``, as yaw), then nods about its own
    ear-to-ear axis (``nod``, as pitch: > 0 looks up), then tilts about its own forward
    axis (``tilt``, as roll): ``R = Ry(-turn) @ Rx(-nod) @ Rz(-tilt)`` with standard
    right-handed elementary rotations (intrinsic y-x-z). The Euler angles of
    :func:`euler_to_matrix` apply pitch about the *camera's* x axis instead
    (intrinsic x-y-z); the two agree for small angles and part at large yaw, where a
    nodding profile has large Euler pitch and roll of nearly equal size: turn 80 with nod -20
    is (yaw, pitch, roll) = (67.7, -64.5, -62.7) (``docs/conventions.md``).

    Args:
        angles: ``(..., 3)`` angles (turn, nod, tilt) in degrees.

    Returns:
        ``(..., 3, 3)`` rotation matrices (model -> camera, as :func:`euler_to_matrix`).
    """
    a, was_numpy = _to_torch(angles)
    _check_last(a, (3, ), 'angles')
    turn, nod, tilt = (-torch.deg2rad(a)).unbind(-1)
    ca, sa = torch.cos(turn), torch.sin(turn)
    cb, sb = torch.cos(nod), torch.sin(nod)
    cc, sc = torch.cos(tilt), torch.sin(tilt)
    # Ry(a) @ Rx(b) @ Rz(c), written out.
    m = torch.stack([
        ca * cc + sa * sb * sc, -ca * sc + sa * sb * cc, sa * cb,
        cb * sc, cb * cc, -sb,
        -sa * cc + ca * sb * sc, sa * sc + ca * sb * cc, ca * cb,
    ], dim=-1).reshape(*a.shape[:-1], 3, 3)
    return _back(m, was_numpy)


def matrix_to_head_motion(rotation: ArrayLike) -> ArrayLike:
    """Converts rotation matrices into ``(turn, nod, tilt)`` in degrees (the inverse of
    :func:`head_motion_to_matrix`; nod in [-90, 90], turn and tilt in (-180, 180])."""
    r, was_numpy = _to_torch(rotation)
    _check_last(r, (3, 3), 'rotation')
    nod = torch.atan2(-r[..., 1, 2], torch.hypot(r[..., 1, 0], r[..., 1, 1]))
    turn = torch.atan2(r[..., 0, 2], r[..., 2, 2])
    tilt = torch.atan2(r[..., 1, 0], r[..., 1, 1])
    out = -torch.rad2deg(torch.stack([turn, nod, tilt], dim=-1))
    return _back(_half_open(out), was_numpy)


def flip_rotation(rotation: ArrayLike) -> ArrayLike:
    """The rotation seen in a horizontally flipped image: ``S R S``, ``S = diag(-1, 1, 1)``.

    In angles this is yaw -> -yaw, roll -> -roll, pitch unchanged.
    """
    r, was_numpy = _to_torch(rotation)
    _check_last(r, (3, 3), 'rotation')
    sign = r.new_tensor([-1.0, 1.0, 1.0])
    return _back(r * sign[:, None] * sign[None, :], was_numpy)


def flip_euler(angles: ArrayLike) -> ArrayLike:
    """``(yaw, pitch, roll)`` -> ``(-yaw, pitch, -roll)``: the horizontal image flip."""
    a, was_numpy = _to_torch(angles)
    _check_last(a, (3, ), 'angles')
    return _back(a * a.new_tensor([-1.0, 1.0, -1.0]), was_numpy)


def rotate_in_plane(rotation: ArrayLike, angle: float) -> ArrayLike:
    """The rotation seen after rotating the image counter-clockwise by ``angle`` degrees.

    Rotating the image about the optical axis is a rotation of the camera frame about
    z, so ``R' = Rz(angle) @ R``. For a frontal face this subtracts ``angle`` from roll:
    in this convention roll > 0 is a head tilted clockwise as seen in the image.
    """
    r, was_numpy = _to_torch(rotation)
    _check_last(r, (3, 3), 'rotation')
    t = torch.deg2rad(torch.as_tensor(angle, dtype=r.dtype))
    c, s = torch.cos(t), torch.sin(t)
    rz = torch.stack([c, -s, r.new_zeros(()), s, c, r.new_zeros(()),
                      r.new_zeros(()), r.new_zeros(()), r.new_ones(())]).reshape(3, 3)
    return _back(rz @ r, was_numpy)


def project_to_rotation(matrix: ArrayLike) -> ArrayLike:
    """Projects any 3x3 matrix onto the nearest rotation (Frobenius norm) by SVD.

    ``R' = U diag(1, 1, det(U V^T)) V^T``: the determinant fix keeps the result a
    proper rotation (det = +1) rather than a reflection.

    Args:
        matrix: ``(..., 3, 3)`` matrices.

    Returns:
        ``(..., 3, 3)`` rotation matrices (float32 for float16/bfloat16 input; computed
        with autocast off).
    """
    m, was_numpy = _to_torch(matrix)
    _check_last(m, (3, 3), 'matrix')
    if m.dtype in (torch.float16, torch.bfloat16):
        m = m.float()  # SVD has no half-precision kernel: half inputs give float32 rotations
    with torch.autocast(device_type=m.device.type, enabled=False):
        u, _, vh = torch.linalg.svd(m)
        det = torch.det(u @ vh)
        d = torch.ones(*m.shape[:-2], 3, dtype=m.dtype, device=m.device)
        d[..., 2] = torch.sign(det) + (det == 0).to(m.dtype)
        return _back(u @ torch.diag_embed(d) @ vh, was_numpy)


def geodesic_distance(rot_a: ArrayLike, rot_b: ArrayLike) -> ArrayLike:
    """The angle in degrees of the rotation that takes ``rot_a`` to ``rot_b``.

    Args:
        rot_a: ``(..., 3, 3)`` rotations.
        rot_b: ``(..., 3, 3)`` rotations.

    Returns:
        ``(...)`` angles in [0, 180] degrees.
    """
    a, was_numpy = _to_torch(rot_a)
    b, _ = _to_torch(rot_b)
    b = b.to(a.dtype)
    _check_last(a, (3, 3), 'rot_a')
    _check_last(b, (3, 3), 'rot_b')
    trace = (a * b).sum(dim=(-1, -2))  # trace(A^T B)
    cos = ((trace - 1.0) / 2.0).clamp(-1.0, 1.0)
    return _back(torch.rad2deg(torch.arccos(cos)), was_numpy)


def wrapped_angle_error(pred: ArrayLike, target: ArrayLike) -> ArrayLike:
    """Absolute angle difference in degrees on the circle: ``min(|d|, 360 - |d|)``.

    Args:
        pred: angles in degrees, any shape.
        target: angles in degrees, broadcastable to ``pred``.

    Returns:
        Errors in [0, 180] degrees.
    """
    p, was_numpy = _to_torch(pred)
    t, _ = _to_torch(target)
    d = torch.remainder((p - t.to(p.dtype)).abs(), 360.0)
    return _back(torch.minimum(d, 360.0 - d), was_numpy)
