"""Head axes and cubes projected from a rotation matrix: what is drawn is what is predicted."""

from typing import Iterable, Sequence, Tuple

import cv2
import numpy as np

#: Colours (BGR) of the head's x (right of the image at zero pose), y (up) and z (nose) axes.
AXIS_COLORS = ((0, 0, 255), (0, 255, 0), (255, 0, 0))

#: Font of the labels.
LABEL_FONT = cv2.FONT_HERSHEY_SIMPLEX

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


def label_style(text: str, img_shape: Sequence[int],
                bbox: Sequence[float]) -> Tuple[float, int, int]:
    """Font scale, thickness and padding of a head's label, legible when the picture is
    shrunk into a montage tile.

    The text line (capitals and descenders) is about 14% of the box's size high, but at
    least 3.5% and at most 7.5% of the picture's shorter side (and at least 10 px): a
    256 px crop gets 14 px capitals, still 10 px in a 192 px montage tile; a 100 px
    head in a 1080p frame gets 27 px ones. A text wider than the picture is made
    smaller to fit.

    Returns:
        ``(font_scale, thickness, pad)`` for ``cv2.putText`` with :data:`LABEL_FONT`.
    """
    h_img, w_img = int(img_shape[0]), int(img_shape[1])
    short = min(h_img, w_img)
    size = max(float(bbox[2]) - float(bbox[0]), float(bbox[3]) - float(bbox[1]), 1.0)
    lo, hi = max(10.0, 0.035 * short), max(10.0, 0.075 * short)
    height = float(np.clip(0.14 * size, lo, hi))
    (w1, h1), base1 = cv2.getTextSize(text, LABEL_FONT, 1.0, 1)
    scale = height / (h1 + base1)
    pad = max(1, int(round(height / 8)))
    scale = min(scale, max(w_img - 2 * pad, 1) / max(w1, 1))
    return scale, max(1, int(round(height / 14))), pad


def _overlaps(a: Sequence[int], b: Sequence[int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def place_label(img_shape: Sequence[int], bbox: Sequence[float], size: Tuple[int, int],
                taken: Iterable[Sequence[int]] = ()) -> Tuple[int, int, int, int]:
    """Where a label of ``size`` (w, h) goes: inside the picture, clear of ``taken``.

    Tried in order: above the box (stacked upwards), below it (stacked downwards), then
    inside it from its top edge down; the first place that lies wholly in the picture
    and overlaps no rectangle of ``taken`` wins. If none does, the label goes at the box's
    top, clamped into the picture. The left edge is the box's, clamped likewise.

    Returns:
        ``(x, y, w, h)``: the label's rectangle (top-left corner and size) in pixels.
    """
    h_img, w_img = int(img_shape[0]), int(img_shape[1])
    w, h = int(size[0]), int(size[1])
    x1, y1, _, y2 = [float(v) for v in bbox[:4]]
    x = int(np.clip(round(x1), 0, max(w_img - w, 0)))
    taken = list(taken)
    tries = [y1 - h * (k + 1) for k in range(3)] + [y2 + h * k for k in range(3)] + \
        [y1 + h * k for k in range(max(h_img // max(h, 1), 1) + 1)]
    for y in tries:
        rect = (x, int(round(y)), w, h)
        if rect[1] >= 0 and rect[1] + h <= h_img and not any(_overlaps(rect, t) for t in taken):
            return rect
    return x, int(np.clip(round(y1), 0, max(h_img - h, 0))), w, h


def draw_label(img: np.ndarray, text: str, bbox: Sequence[float],
               color: Tuple[int, int, int] = (0, 255, 255),
               taken: list = None) -> Tuple[int, int, int, int]:
    """Writes ``text`` for the head in ``bbox`` on a darkened band, inside the picture.

    Size from :func:`label_style`, place from :func:`place_label`; the rectangle is
    appended to ``taken`` (when given) so that the next label avoids it.

    Returns:
        The label's rectangle ``(x, y, w, h)``.
    """
    scale, thick, pad = label_style(text, img.shape, bbox)
    (tw, th), base = cv2.getTextSize(text, LABEL_FONT, scale, thick)
    rect = place_label(img.shape, bbox, (tw + 2 * pad, th + base + 2 * pad), taken or ())
    x, y, w, h = rect
    band = img[max(y, 0):y + h, max(x, 0):x + w]
    band[:] = (band * 0.3).astype(img.dtype)
    cv2.putText(img, text, (x + pad, y + pad + th), LABEL_FONT, scale, color, thick, cv2.LINE_AA)
    if taken is not None:
        taken.append(rect)
    return rect
