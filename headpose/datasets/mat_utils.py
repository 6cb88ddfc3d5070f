"""Reading the 300W-LP / AFLW2000-3D ``.mat`` labels and turning landmarks into head boxes."""

import os.path as osp
from typing import Dict, Sequence

import numpy as np
import scipy.io as sio


def read_mat(path: str, fields: Sequence[str]) -> Dict[str, np.ndarray]:
    """Reads the named variables of a ``.mat`` file.

    Only the requested variables are decoded (``scipy.io.loadmat(variable_names=...)``),
    which keeps parsing 122,450 300W-LP files to about a minute.

    Args:
        path: the ``.mat`` file.
        fields: variable names that must be present.

    Returns:
        ``{name: array}`` for each requested field.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: naming the file if it cannot be decoded or lacks a field.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'annotation file not found: {path}')
    try:
        mat = sio.loadmat(path, variable_names=list(fields))
    except Exception as err:  # scipy raises several types for corrupt files
        raise ValueError(f'{path}: cannot read this .mat file ({type(err).__name__}: {err})')
    missing = [f for f in fields if f not in mat]
    if missing:
        raise ValueError(f'{path}: the .mat file has no {", ".join(missing)} '
                         f'(expected the 300W-LP / AFLW2000-3D fields {", ".join(fields)})')
    return {f: np.asarray(mat[f]) for f in fields}


def pose_para_to_angles(pose_para: np.ndarray, where: str) -> np.ndarray:
    """``Pose_Para`` [pitch, yaw, roll, tx, ty, tz, scale] (radians) -> (yaw, pitch, roll) degrees.

    This is the public convention of the toolbox (``headpose.structures.pose``):
    yaw = Pose_Para[1], pitch = Pose_Para[0], roll = Pose_Para[2]. No sign is changed
    for any subset: the ``*_Flip`` subsets of 300W-LP carry the labels of the mirrored
    image already.

    Args:
        pose_para: the ``Pose_Para`` array, (1, 7) in the releases.
        where: the file to name in errors.

    Raises:
        ValueError: if the array has fewer than 3 values or a value is not finite.
    """
    p = np.asarray(pose_para, dtype=np.float64).reshape(-1)
    if p.size < 3:
        raise ValueError(f'{where}: Pose_Para must hold at least [pitch, yaw, roll], '
                         f'got shape {np.shape(pose_para)}')
    angles = np.degrees(np.array([p[1], p[0], p[2]]))
    if not np.all(np.isfinite(angles)):
        raise ValueError(f'{where}: Pose_Para has non-finite angles {angles.tolist()}')
    return angles


def landmark_bbox(points: np.ndarray, where: str, drop_invisible: bool = False,
                  min_points: int = 2) -> np.ndarray:
    """The tight [x1, y1, x2, y2] box of (the visible) landmarks.

    Landmark arrays are ``(2 or 3, K)`` with row 0 = x and row 1 = y in image pixels
    (``pt2d``, ``pt3d_68``). AFLW marks an invisible ``pt2d`` point with x = -1 (the
    AFLW2000-3D copies have (-1, -1) or (-1, 452)); with ``drop_invisible`` every point
    with a negative coordinate is left out. ``pt3d_68`` has no such marker: all of its
    points count, also those a little outside the image.

    Args:
        points: ``(D, K)`` landmarks, D >= 2.
        where: the file to name in errors.
        drop_invisible: leave out points with a negative coordinate.
        min_points: fewest points that make a box.

    Raises:
        ValueError: if the array is not (D >= 2, K), too few points are left, or they
            span an empty box.
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[0] < 2:
        raise ValueError(f'{where}: landmarks must be (2 or 3, K) with rows x, y; '
                         f'got shape {pts.shape}')
    xy = pts[:2]
    keep = np.all(np.isfinite(xy), axis=0)
    if drop_invisible:
        keep &= np.all(xy >= 0, axis=0)
    if keep.sum() < min_points:
        raise ValueError(f'{where}: only {int(keep.sum())} usable landmarks '
                         f'(need {min_points}; invisible points are -1)')
    x, y = xy[0, keep], xy[1, keep]
    box = np.array([x.min(), y.min(), x.max(), y.max()], dtype=np.float32)
    if box[2] <= box[0] or box[3] <= box[1]:
        raise ValueError(f'{where}: the landmarks span an empty box {box.tolist()}')
    return box


def scale_bboxes(boxes: np.ndarray, factor: float) -> np.ndarray:
    """Scales ``(..., 4)`` [x1, y1, x2, y2] boxes about their centres by ``factor``."""
    if factor <= 0:
        raise ValueError(f'the box scale factor must be > 0, got {factor}')
    b = np.asarray(boxes, dtype=np.float32)
    cx, cy = (b[..., 0] + b[..., 2]) / 2, (b[..., 1] + b[..., 3]) / 2
    hw, hh = (b[..., 2] - b[..., 0]) * factor / 2, (b[..., 3] - b[..., 1]) * factor / 2
    return np.stack([cx - hw, cy - hh, cx + hw, cy + hh], axis=-1).astype(np.float32)


__all__ = ['landmark_bbox', 'pose_para_to_angles', 'read_mat', 'scale_bboxes']
