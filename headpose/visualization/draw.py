"""Head axes and cubes projected from a rotation matrix: what is drawn is what is predicted."""

from typing import Sequence, Tuple

import cv2
import numpy as np

#: Colours (BGR) of the head's x (right of the image at zero pose), y (up) and z (nose) axes.
AXIS_COLORS = ((0, 0, 255), (0, 255, 0), (255, 0, 0))

_CUBE = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float64)
_CUBE_EDGES = [(i, j) for i in range(8) for j in range(i + 1, 8)
               if np.abs(_CUBE[i] - _CUBE[j]).sum() == 2]


def project(rotation: np.ndarray, points: np.ndarray, center: Sequence[float],
            size: float) -> np.ndarray:
    """Orthographic image coordinates of head-model ``points`` (N, 3) rotated by ``rotation``.

    Camera x is the image's column axis and camera y points up (the row axis down).
    """
    cam = points @ np.asarray(rotation, dtype=np.float64).T * size
    return np.stack([center[0] + cam[:, 0], center[1] - cam[:, 1]], axis=1)


def nose_direction(rotation: np.ndarray) -> Tuple[float, float]:
    """The image direction (d_col, d_row) of the nose (model +z) axis."""
    r = np.asarray(rotation, dtype=np.float64)
    return float(r[0, 2]), float(-r[1, 2])


def draw_axes(img: np.ndarray, rotation: np.ndarray, center: Sequence[float], size: float,
              thickness: int = 2) -> np.ndarray:
    """Draws the head's x (red), y (green) and z / nose (blue) axes in place; returns ``img``."""
    c = (int(round(center[0])), int(round(center[1])))
    ends = project(rotation, np.eye(3), center, size)
    for end, color in zip(ends, AXIS_COLORS):
        cv2.arrowedLine(img, c, (int(round(end[0])), int(round(end[1]))), color, thickness,
                        cv2.LINE_AA, tipLength=0.15)
    return img


def draw_cube(img: np.ndarray, rotation: np.ndarray, center: Sequence[float], size: float,
              color: Tuple[int, int, int] = (0, 200, 255), thickness: int = 1) -> np.ndarray:
    """Draws a cube around the head, rotated with it; the face side is thicker."""
    pts = project(rotation, _CUBE, center, size / 2.0)
    for i, j in _CUBE_EDGES:
        front = _CUBE[i, 2] > 0 and _CUBE[j, 2] > 0
        p, q = pts[i].round().astype(int), pts[j].round().astype(int)
        cv2.line(img, tuple(p), tuple(q), color, thickness + (1 if front else 0), cv2.LINE_AA)
    return img
