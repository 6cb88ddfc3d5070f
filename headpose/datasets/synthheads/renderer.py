"""Procedural SynthHeads renderer: ray-cast synthetic 3D heads at a known rotation (numpy + cv2)."""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Sequence, Union

import cv2
import numpy as np

__all__ = [
    'HeadLayer',
    'mask_to_bbox',
    'natural_background',
    'random_background',
    'random_light',
    'face_landmarks',
    'project_points',
    'render_head',
    'render_head_layer',
    'sample_identity',
]

# ---------------------------------------------------------------------------
# Conventions
# ---------------------------------------------------------------------------
# Model frame: +x image right, +y top of the head, +z out of the face (the nose
# tip) at identity rotation. ``rotation`` R maps model -> camera, camera x is
# image right, camera y is up (image row = -y), camera z points to the viewer.
# The projection is orthographic: a pixel is a ray parallel to camera -z.
# Colours are BGR floats in [0, 1].

#: Model-frame height (in model units) that ``scale`` refers to: skull top + hair
#: to chin of an average identity.
HEAD_EXTENT = 2.2

# Primitive kinds.
_SKULL, _JAW, _NOSE, _EAR, _HAIR, _NECK = range(6)

_HAIR_STYLES = ('buzz', 'short', 'medium', 'long', 'bun', 'afro')
_HAIR_STYLE_P = (0.1, 0.3, 0.2, 0.2, 0.1, 0.1)
# Azimuth knots of the hairline: 0 = front, 0.5 = side (ear), 1 = back.
_HAIR_KNOTS = np.array([0.0, 0.2, 0.5, 0.8, 1.0])
_LUT_N = 64
_LUT_W = np.linspace(0.0, 1.0, _LUT_N + 1)

Color = tuple[float, float, float]
Rotation = Union[np.ndarray, Sequence[Sequence[float]]]


class HeadLayer(NamedTuple):
    """One rendered head, ready to be composited onto a background.

    Attributes:
        bgr: ``(H, W, 3)`` float32 shaded colour in [0, 1], BGR order; 0 where empty.
        alpha: ``(H, W)`` float32 coverage in {0, 1} (head, ears, hair and neck).
        depth: ``(H, W)`` float32 camera z of the visible surface in pixels (larger is
            closer to the viewer, relative to the head centre); ``-inf`` where empty.
        head_mask: ``(H, W)`` bool, pixels of the head itself (``alpha`` without the
            neck); use it for the head bounding box.
    """

    bgr: np.ndarray
    alpha: np.ndarray
    depth: np.ndarray
    head_mask: np.ndarray


class _Prim(NamedTuple):
    """An ellipsoid ``|diag(1/radii) @ axes @ (m - center)| = 1`` in model coordinates."""

    kind: int
    center: tuple  # (3,) model frame
    axes: tuple  # (3, 3), rows are the ellipsoid axes in the model frame
    radii: tuple  # (3,)
    clip_hair: bool  # keep only hits inside the hair region (hair shells)


# ---------------------------------------------------------------------------
# Identity sampling
# ---------------------------------------------------------------------------
_SKIN_RGB = np.array([[0.99, 0.87, 0.76], [0.93, 0.74, 0.60], [0.78, 0.57, 0.42],
                      [0.56, 0.38, 0.26], [0.36, 0.23, 0.15]])
_HAIR_RGB = np.array([[0.05, 0.04, 0.04], [0.18, 0.11, 0.07], [0.36, 0.22, 0.12],
                      [0.58, 0.42, 0.25], [0.88, 0.75, 0.48], [0.62, 0.27, 0.12],
                      [0.58, 0.58, 0.58], [0.85, 0.85, 0.83]])
_HAIR_P = np.array([0.26, 0.24, 0.16, 0.1, 0.08, 0.06, 0.06, 0.04])
_IRIS_RGB = np.array([[0.35, 0.20, 0.10], [0.14, 0.09, 0.06], [0.30, 0.50, 0.78],
                      [0.33, 0.50, 0.30], [0.50, 0.55, 0.60], [0.50, 0.38, 0.18]])


def _bgr(rgb: np.ndarray) -> Color:
    c = np.clip(np.asarray(rgb, dtype=np.float64), 0.0, 1.0)
    return (float(c[2]), float(c[1]), float(c[0]))


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def sample_identity(rng: np.random.Generator, face_geometry: str = 'classic') -> dict[str, Any]:
    """Samples the appearance of one synthetic person.

    All lengths are in model units (the skull is about 2 units tall), all colours are
    BGR tuples in [0, 1]. The dictionary holds only plain Python values, so it can be
    stored in annotation files; callers may edit it (e.g. set a distinct
    ``'nose_color'``) before rendering.

    Args:
        rng: Source of randomness.
        face_geometry: ``'classic'``, the original round face (the lower face is the
            front of a ball: the chin sits 0.42 eye-to-chin lengths behind the eyes);
            or ``'measured'``, the proportions of real faces: a jaw tilted forward-down
            so that the chin is as far forward as the eyes and the lips 0.2 in front
            of them, the mouth and brows where real ones are, a longer nose. Its
            numbers were fitted to the canonical 3D landmarks (``pt3d_68`` rotated back
            by the pose) of the AFLW2000 development set, in units of the
            eye-to-chin length: chin depth +0.03 (classic -0.42), nose tip +0.37 (0.20),
            mouth corners 0.60 below the eyes (0.53), brows 0.18 above them (0.11).
            With it, the contour of :func:`face_landmarks` (the crop's landmark box)
            is refitted too. The classic values are drawn first and in the same order
            either way, so a seed gives the same colours, hair and eyes with both.

    Returns:
        The identity parameters, to be passed to :func:`render_head`.
    """
    if face_geometry not in ('classic', 'measured'):
        raise ValueError("sample_identity: face_geometry must be 'classic' or 'measured', "
                         f'got {face_geometry!r}')
    # Skin: a continuum from light to dark plus a small per-channel jitter.
    t = _u(rng, 0.0, 1.0) * (len(_SKIN_RGB) - 1)
    i = min(int(t), len(_SKIN_RGB) - 2)
    skin = _SKIN_RGB[i] + (t - i) * (_SKIN_RGB[i + 1] - _SKIN_RGB[i])
    skin = skin * rng.uniform(0.9, 1.08) * rng.uniform(0.97, 1.03, 3)
    hair = (_HAIR_RGB[rng.choice(len(_HAIR_RGB), p=_HAIR_P)] * rng.uniform(0.8, 1.2)
            * rng.uniform(0.95, 1.05, 3))
    if rng.random() < 0.04:  # dyed
        hair = rng.uniform(0.05, 0.9, 3)
    # Keep hair distinguishable from skin (back views must look different).
    if np.abs(hair - skin).mean() < 0.18:
        hair = hair * 0.45 if skin.mean() > 0.45 else np.minimum(hair * 0.3 + 0.55, 1.0)
    iris = _IRIS_RGB[rng.integers(len(_IRIS_RGB))] * rng.uniform(0.85, 1.15, 3)
    lip = skin * np.array([0.82, 0.55, 0.55]) * _u(rng, 0.8, 1.0)

    rx, ry, rz = _u(rng, 0.72, 0.84), _u(rng, 0.92, 1.02), _u(rng, 0.88, 1.0)
    skull_c = (0.0, _u(rng, 0.08, 0.16), _u(rng, -0.10, -0.02))
    jaw_c = (0.0, _u(rng, -0.50, -0.40), _u(rng, 0.18, 0.26))
    jaw_r = (_u(rng, 0.52, 0.66), _u(rng, 0.48, 0.58), _u(rng, 0.50, 0.58))

    style = str(rng.choice(_HAIR_STYLES, p=_HAIR_STYLE_P))
    front = _u(rng, 0.42, 0.62) if rng.random() < 0.8 else _u(rng, 0.62, 0.8)
    if style in ('medium', 'long') and rng.random() < 0.4:
        front = _u(rng, 0.22, 0.38)  # fringe
    side = _u(rng, -0.05, 0.15)
    back = _u(rng, -1.15, -0.85)
    hairline = [front, 0.5 * (front + side) + _u(rng, -0.05, 0.05), side,
                0.4 * side + 0.6 * back, back]
    if style == 'long':
        hairline[2:] = [_u(rng, -0.9, -0.5), -1.6, -2.5]
        hairline[1] = min(hairline[1], _u(rng, -0.1, 0.15))
    elif style == 'afro':
        hairline[2:] = [_u(rng, -0.2, 0.0), -0.7, -0.9]

    eye_y = _u(rng, 0.02, 0.12)
    nose_y = _u(rng, -0.24, -0.14)
    ident = {
        'skull_center': skull_c,
        'skull_radii': (rx, ry, rz),
        'jaw_center': jaw_c,
        'jaw_radii': jaw_r,
        'skin_color': _bgr(skin),
        'nose_color': _bgr(skin * np.array([1.02, 0.97, 0.95])),
        'ear_color': _bgr(skin * 0.95),
        'neck_color': _bgr(skin * 0.9),
        'lip_color': _bgr(lip),
        'hair_color': _bgr(hair),
        'brow_color': _bgr(hair * 0.7 if hair.mean() < 0.5 else hair * 0.45),
        'iris_color': _bgr(iris),
        'eye_white': _bgr(np.full(3, _u(rng, 0.82, 0.95))),
        'hair_style': style,
        'hairline': [float(h) for h in hairline],
        'hair_asym': _u(rng, -0.12, 0.12),
        'hair_wave': (_u(rng, 0.0, 0.05), _u(rng, 2.0, 6.0), _u(rng, 0.0, 6.28)),
        'hair_texture': (_u(rng, 0.02, 0.07), float(rng.integers(20, 60))),
        'hair_thickness': _u(rng, 0.03, 0.08) if style != 'buzz' else 0.0,
        'eye_x': _u(rng, 0.27, 0.34),
        'eye_y': eye_y,
        'eye_radii': (_u(rng, 0.10, 0.14), _u(rng, 0.045, 0.065)),
        'iris_radius': _u(rng, 0.042, 0.055),
        'gaze': (_u(rng, -0.02, 0.02), _u(rng, -0.01, 0.01)),
        'brow_y': eye_y + _u(rng, 0.10, 0.16),
        'brow_x': _u(rng, 0.27, 0.33),
        'brow_len': _u(rng, 0.20, 0.30),
        'brow_thickness': _u(rng, 0.025, 0.05),
        'brow_arch': _u(rng, 0.0, 0.04),
        'nose_y': nose_y,
        'nose_radii': (_u(rng, 0.09, 0.14), _u(rng, 0.17, 0.25), _u(rng, 0.15, 0.22)),
        'nose_tilt': _u(rng, 10.0, 30.0),
        'mouth_y': _u(rng, -0.54, -0.44),
        'mouth_radii': (_u(rng, 0.15, 0.24), _u(rng, 0.03, 0.055)),
        'smile': _u(rng, -0.4, 1.2),
        'ear_y': _u(rng, -0.12, 0.02),
        'ear_z': _u(rng, -0.12, -0.02),
        'ear_radii': (_u(rng, 0.07, 0.11), _u(rng, 0.22, 0.30), _u(rng, 0.13, 0.18)),
        'ear_angle': _u(rng, 5.0, 25.0),
        'blush': _u(rng, 0.0, 0.5),
        'beard': bool(rng.random() < 0.12),
        'neck': bool(rng.random() < 0.85),
        'neck_radii': (_u(rng, 0.36, 0.48), 1.0, _u(rng, 0.36, 0.46)),
        'face_geometry': face_geometry,
        'jaw_tilt': 0.0,
    }
    if face_geometry == 'measured':
        # A long lower-face ellipsoid tilted forward-down (its back lies inside the
        # skull); least-squares fit to the real chin, lips, mouth corners and jaw
        # points, varied by about +-8% per person.
        k = _u(rng, 0.92, 1.08)
        ident['jaw_center'] = (0.0, _u(rng, -0.32, -0.26), _u(rng, 0.02, 0.10))
        ident['jaw_radii'] = (_u(rng, 0.56, 0.66), _u(rng, 0.60, 0.70) * k, 1.0 * k)
        ident['jaw_tilt'] = _u(rng, 22.0, 31.0)
        ident['mouth_y'] = _u(rng, -0.58, -0.48)
        ident['brow_y'] = eye_y + _u(rng, 0.16, 0.21)
        nr = ident['nose_radii']
        ident['nose_radii'] = (nr[0], nr[1], _u(rng, 0.21, 0.28))
    return ident


# ---------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------
Vec = tuple[float, float, float]
Mat = tuple[Vec, Vec, Vec]
_EYE: Mat = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))


# Small 3-vector algebra in plain Python: much cheaper than numpy calls on tiny arrays.
def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _mv(m: Sequence[Sequence[float]], v: Sequence[float]) -> Vec:
    return (_dot(m[0], v), _dot(m[1], v), _dot(m[2], v))


def _rot_x(deg: float) -> Mat:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return ((1.0, 0.0, 0.0), (0.0, c, -s), (0.0, s, c))


def _rot_y(deg: float) -> Mat:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return ((c, 0.0, s), (0.0, 1.0, 0.0), (-s, 0.0, c))


def _add(a: Sequence[float], b: Sequence[float]) -> Vec:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def _jaw_axes(ident: dict[str, Any]) -> Mat:
    """The jaw's axes: its local z points forward-down, ``jaw_tilt`` degrees below level."""
    tilt = ident.get('jaw_tilt', 0.0)  # identities stored before the tilt have none
    return _rot_x(-tilt) if tilt else _EYE


def _front_z(center: Sequence[float], axes: Mat, radii: Sequence[float], x: float,
             y: float) -> float:
    """Largest model z of an ellipsoid on the line (x, y, .), ``-inf`` if it misses.

    Local coordinates are ``axes @ (m - center)``; along the line they are
    ``p + z a`` with ``a`` the third column of ``axes``, which gives a quadratic in z.
    """
    d = (x - center[0], y - center[1], -center[2])
    p = [_dot(row, d) / r for row, r in zip(axes, radii)]
    a = [row[2] / r for row, r in zip(axes, radii)]
    qa, qb, qc = _dot(a, a), _dot(a, p), _dot(p, p) - 1.0
    disc = qb * qb - qa * qc
    return (-qb + math.sqrt(disc)) / qa if disc > 0.0 else -math.inf


def _face_surface_z(ident: dict[str, Any], x: float, y: float) -> float:
    """Model z of the front of the skull/jaw union at (x, y) (the centre's z if missed)."""
    best = max(_front_z(ident['skull_center'], _EYE, ident['skull_radii'], x, y),
               _front_z(ident['jaw_center'], _jaw_axes(ident), ident['jaw_radii'], x, y))
    return best if best > -math.inf else float(ident['skull_center'][2])


def _chin_y(ident: dict[str, Any]) -> float:
    """Model y of the chin landmark, 97% of the way to the jaw's front-bottom point.

    That point is the jaw's extreme point in the direction ``jaw_tilt`` degrees forward
    of straight down (its lowest point when the jaw is level): for an ellipsoid with
    shape matrix ``M = A^T diag(r^2) A`` the extreme point in direction ``u`` is
    ``c + M u / sqrt(u^T M u)``.
    """
    t = math.radians(ident.get('jaw_tilt', 0.0))
    u = (0.0, -math.cos(t), math.sin(t))
    axes, r = _jaw_axes(ident), ident['jaw_radii']
    lu = [_dot(row, u) * ri for row, ri in zip(axes, r)]  # diag(r) A u
    off_y = sum(axes[i][1] * r[i] * lu[i] for i in range(3)) / math.sqrt(_dot(lu, lu))
    return ident['jaw_center'][1] + 0.97 * off_y


def _skull_front_z(ident: dict[str, Any], y: float) -> float:
    """Model z of the front of the skull/jaw union on the mid-sagittal plane at height y."""
    return _face_surface_z(ident, 0.0, y)


def _build_prims(ident: dict[str, Any], rotation: Mat) -> list[_Prim]:
    """The ellipsoids of one head; ``rotation`` (model -> camera) places the upright neck.

    The order is fixed (the shading relies on it): skull, jaw, nose, two ears, hair
    volumes, then the neck (if any) last.
    """
    sc, sr = tuple(ident['skull_center']), tuple(ident['skull_radii'])
    prims = [_Prim(_SKULL, sc, _EYE, sr, False),
             _Prim(_JAW, tuple(ident['jaw_center']), _jaw_axes(ident),
                   tuple(ident['jaw_radii']), False)]
    # Nose: an ellipsoid tilted so that its tip points forward-down, sunk into the face.
    nr = tuple(ident['nose_radii'])
    ny = ident['nose_y']
    nz = _skull_front_z(ident, ny) + 0.04 - 0.2 * nr[2]
    prims.append(_Prim(_NOSE, (0.0, ny, nz), _rot_x(-ident['nose_tilt']), nr, False))
    # Ears on both sides, angled backwards.
    er = tuple(ident['ear_radii'])
    for side in (-1.0, 1.0):
        c = (side * (sr[0] * 0.96 + 0.25 * er[0]), ident['ear_y'], ident['ear_z'])
        prims.append(_Prim(_EAR, c, _rot_y(side * ident['ear_angle']), er, False))
    # Hair shells (clipped to the hair region) and extra hair volumes.
    style, th = ident['hair_style'], ident['hair_thickness']
    if style in ('short', 'medium', 'bun'):
        prims.append(_Prim(_HAIR, _add(sc, (0.0, 0.3 * th, -0.5 * th)), _EYE,
                           _add(sr, (th, th, th)), True))
    elif style == 'long':
        prims.append(_Prim(_HAIR, _add(sc, (0.0, -0.35, -0.1)), _EYE,
                           (sr[0] + th + 0.08, sr[1] * 1.3, sr[2] + th + 0.06), True))
    elif style == 'afro':
        prims.append(_Prim(_HAIR, _add(sc, (0.0, 0.2, -0.15)), _EYE,
                           (sr[0] * 1.3, sr[1] * 1.15, sr[2] * 1.25), True))
    if style == 'bun':
        r = 0.3 + th
        prims.append(_Prim(_HAIR, _add(sc, (0.0, 0.55 * sr[1], -0.75 * sr[2])), _EYE,
                           (r, r, r), False))
    if ident['neck']:
        # The neck stays upright in the camera frame: local = R (m - R^T c_cam).
        c_cam = (0.0, -1.45, -0.2)
        rt = tuple(zip(*rotation))
        prims.append(_Prim(_NECK, _mv(rt, c_cam), rotation, tuple(ident['neck_radii']),
                           False))
    return prims


def _hairline_lut(ident: dict[str, Any]) -> np.ndarray:
    """Hairline height (in skull radii) sampled at ``_LUT_N + 1`` azimuths (front to back)."""
    return np.interp(_LUT_W, _HAIR_KNOTS, ident['hairline']).astype(np.float32)


def _hair_region(mx: np.ndarray, my: np.ndarray, mz: np.ndarray, ident: dict[str, Any],
                 lut: np.ndarray) -> np.ndarray:
    """Whether model points are above the hairline (on the skull or on a hair shell)."""
    sc, sr = ident['skull_center'], ident['skull_radii']
    hx = mx * (1.0 / sr[0])
    hz = (mz - sc[2]) * (1.0 / sr[2])
    w = 0.5 - 0.5 * hz / (np.sqrt(hx * hx + hz * hz) + 1e-6)  # 0 front, 0.5 side, 1 back
    thr = lut.take((w * _LUT_N + 0.5).astype(np.intp), mode='clip')
    amp, freq, phase = ident['hair_wave']
    thr += amp * np.sin(freq * hx + phase) + ident['hair_asym'] * hx * (1.0 - w)
    return (my - sc[1]) * (1.0 / sr[1]) > thr


def _hair_texture(mx: np.ndarray, my: np.ndarray, mz: np.ndarray,
                  ident: dict[str, Any]) -> np.ndarray:
    """Multiplicative strand texture of the hair (1 +- a few percent)."""
    amp, freq = ident['hair_texture']
    if ident['hair_style'] == 'afro':
        f = 2.0 * freq
        return 1.0 + 2.0 * amp * np.sin(f * mx) * np.sin(f * my) * np.sin(f * mz)
    # A cheap pseudo-angle around the vertical axis in [-2, 2] (strands run top-down).
    hz = mz - ident['skull_center'][2]
    s = np.abs(mx) + np.abs(hz) + 1e-6
    ang = mx / s
    ang = np.where(hz >= 0.0, ang, 2.0 * np.sign(mx) - ang)
    return 1.0 + amp * np.sin(freq * ang) + 0.6 * amp * np.sin(2.7 * freq * ang + 0.5 * my)


def _trace(prims: list[_Prim], rotation: Mat, xs: np.ndarray, ys: np.ndarray,
           ident: dict[str, Any], lut: np.ndarray,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Casts one orthographic ray per pixel against all primitives (z-buffered).

    Args:
        prims: The primitives.
        rotation: Model-to-camera rotation.
        xs: ``(W,)`` camera x of the pixel columns, model units (increasing).
        ys: ``(H,)`` camera y of the pixel rows, model units (decreasing).
        ident: The identity (for the hair region of hair shells).
        lut: Hairline look-up table from :func:`_hairline_lut`.

    Returns:
        ``t`` (H, W) float32 ray parameter of the nearest hit (camera z = -t, ``inf``
        where nothing is hit), ``part`` (H, W) int8 index of the primitive (-1: none)
        and ``inner`` (H, W) bool, hits on the inside of a hair shell.
    """
    h, w = len(ys), len(xs)
    ex, ey = rotation[0], rotation[1]  # the pixel axes in the model frame
    d = (-rotation[2][0], -rotation[2][1], -rotation[2][2])  # the ray direction
    t_best = np.full((h, w), np.inf, np.float32)
    part = np.full((h, w), -1, np.int8)
    inner = np.zeros((h, w), bool)
    # Per-primitive constants: in ellipsoid-normalised coordinates the ray of pixel
    # (x, y) is p0 + x px + y py + t q; and the projected bounding box of the ellipsoid.
    step_x = float(xs[1] - xs[0]) if w > 1 else 1.0
    step_y = float(ys[0] - ys[1]) if h > 1 else 1.0
    x0, y0 = float(xs[0]), float(ys[0])
    coef, rects = [], []
    for p in prims:
        qa, a = p.axes, p.radii
        qx, qy, qd, qc = _mv(qa, ex), _mv(qa, ey), _mv(qa, d), _mv(qa, p.center)
        px = (qx[0] / a[0], qx[1] / a[1], qx[2] / a[2])
        py = (qy[0] / a[0], qy[1] / a[1], qy[2] / a[2])
        p0 = (-qc[0] / a[0], -qc[1] / a[1], -qc[2] / a[2])
        q = (qd[0] / a[0], qd[1] / a[1], qd[2] / a[2])
        # Divided by q.q: t = -b - sqrt(b^2 - c) with b, c below.
        iqq = 1.0 / _dot(q, q)
        coef.append((_dot(p0, q) * iqq, _dot(px, q) * iqq, _dot(py, q) * iqq,
                     (_dot(p0, p0) - 1.0) * iqq, 2.0 * _dot(p0, px) * iqq, _dot(px, px) * iqq,
                     2.0 * _dot(p0, py) * iqq, _dot(py, py) * iqq, 2.0 * _dot(px, py) * iqq))
        cx, cy = _dot(rotation[0], p.center), _dot(rotation[1], p.center)
        ext_x = math.sqrt((a[0] * qx[0]) ** 2 + (a[1] * qx[1]) ** 2 + (a[2] * qx[2]) ** 2)
        ext_y = math.sqrt((a[0] * qy[0]) ** 2 + (a[1] * qy[1]) ** 2 + (a[2] * qy[2]) ** 2)
        rects.append((max(math.floor((cx - ext_x - x0) / step_x), 0),
                      min(math.ceil((cx + ext_x - x0) / step_x) + 1, w),
                      max(math.floor((y0 - cy - ext_y) / step_y), 0),
                      min(math.ceil((y0 - cy + ext_y) / step_y) + 1, h)))
    dm = [float(v) for v in d]
    em = [(float(ex[i]), float(ey[i])) for i in range(3)]
    any_inner = False
    with np.errstate(invalid='ignore'):
        for k, (p, (c0, c1, r0, r1)) in enumerate(zip(prims, rects)):
            if c0 >= c1 or r0 >= r1:
                continue
            b0, bx, by, c00, cx1, cx2, cy1, cy2, cxy = coef[k]
            x, y = xs[c0:c1], ys[r0:r1]
            b = (b0 + bx * x)[None, :] + (by * y)[:, None]
            c = ((c00 + (cx1 + cx2 * x) * x)[None, :] + ((cy1 + cy2 * y) * y)[:, None])
            c += np.outer(cxy * y, x)
            sq = b * b
            sq -= c
            np.sqrt(sq, out=sq)  # NaN where the ray misses
            t = np.negative(b)
            t -= sq
            if p.clip_hair:
                # Keep the outer surface inside the hair region, else the inner one.
                t_far = sq - b
                gx = [(e0 * x)[None, :] + (e1 * y)[:, None] for e0, e1 in em]

                def region(tt: np.ndarray, gx: list[np.ndarray] = gx) -> np.ndarray:
                    return _hair_region(gx[0] + tt * dm[0], gx[1] + tt * dm[1],
                                        gx[2] + tt * dm[2], ident, lut)

                ok_near = region(t)
                ok_far = region(t_far) & ~ok_near
                t = np.where(ok_near, t, np.where(ok_far, t_far, np.float32(np.nan)))
            tb = t_best[r0:r1, c0:c1]
            upd = t < tb
            np.copyto(tb, t, where=upd)
            np.copyto(part[r0:r1, c0:c1], k, where=upd)
            if p.clip_hair:
                np.copyto(inner[r0:r1, c0:c1], ok_far, where=upd)
                any_inner = True
            elif any_inner:
                np.copyto(inner[r0:r1, c0:c1], False, where=upd)
    return t_best, part, inner


def face_landmarks(identity: dict[str, Any]) -> np.ndarray:
    """3D face landmarks of an identity in the model frame, like the 68 of 300W-LP/AFLW2000.

    The points lie on the face surface, hidden or not (as AFLW2000's ``pt3d_68``, which
    keep the far cheek's contour in a profile view): 17 on the contour from one side of
    the face at eye height round the chin to the other, 5 on each brow, 4 on the nose
    bridge, the nose tip, the 4 corners of the eyes and 4 points of the mouth. Their
    projected box is the synthetic counterpart of the landmark box that the AFLW2000
    protocol crops around (see ``SynthHeadsDataset(bbox_source='landmarks')``).

    Args:
        identity: Parameters from :func:`sample_identity`.

    Returns:
        ``(40, 3)`` float64 model coordinates.
    """
    sc, sr = identity['skull_center'], identity['skull_radii']
    eye_y = identity['eye_y']
    y_top = eye_y - 0.05
    y_chin = _chin_y(identity)
    pts = []
    # The contour: (width factor, exponent of |sin(phi)| across, x at which its depth is
    # taken, how far its top bends back). Classic: round the front of the face.
    # Measured: inside the skull's outline (the face is narrower than the head), square-
    # shouldered like a jaw line and bending back at the top to just in front of the
    # ears, where the 68-point jaw line starts; fitted to the AFLW2000 development set:
    # points 0/16 and 4/12 within 0.02 eye-to-chin lengths of the real ones turned back
    # to frontal, median box width / height 1.05, 1.02, 0.94 for |yaw| in [0, 30),
    # [30, 60), [60, 90) against the real 1.06, 1.05, 0.89 (classic: 1.23, 0.99, 0.74).
    if identity.get('face_geometry', 'classic') == 'measured':
        width, power, inset, bend = 0.82, 0.6, 0.95, 0.4
    else:
        width, power, inset, bend = 0.95, 1.0, 0.92, 0.0
    half_w = width * sr[0] * math.sqrt(max(1.0 - ((y_top - sc[1]) / sr[1]) ** 2, 0.0))
    for phi in np.linspace(-0.5 * math.pi, 0.5 * math.pi, 17):
        x = math.copysign(half_w * abs(math.sin(phi)) ** power, phi)
        y = y_top - (y_top - y_chin) * math.cos(phi)
        pts.append((x, y, _face_surface_z(identity, inset * x, y) - bend * math.sin(phi) ** 2))
    half = 0.5 * identity['brow_len']
    for side in (-1.0, 1.0):
        for u in np.linspace(-1.0, 1.0, 5):
            x = side * (identity['brow_x'] + u * half)
            y = identity['brow_y'] - identity['brow_arch'] * u * u
            pts.append((x, y, _face_surface_z(identity, x, y)))
    nr, ny = identity['nose_radii'], identity['nose_y']
    for y in np.linspace(eye_y, ny, 4):
        pts.append((0.0, y, _face_surface_z(identity, 0.0, y)))
    nz = _skull_front_z(identity, ny) + 0.04 - 0.2 * nr[2]
    pts.append((0.0, ny - 0.3 * nr[1], nz + 0.9 * nr[2]))
    erx = identity['eye_radii'][0]
    for x in (-identity['eye_x'] - erx, -identity['eye_x'] + erx,
              identity['eye_x'] - erx, identity['eye_x'] + erx):
        pts.append((x, eye_y, _face_surface_z(identity, x, eye_y)))
    mw, mh = identity['mouth_radii']
    my = identity['mouth_y']
    corner_y = my + identity['smile'] * 0.25 * mw * mw
    for x, y in ((-mw, corner_y), (mw, corner_y), (0.0, my + mh), (0.0, my - mh)):
        pts.append((x, y, _face_surface_z(identity, x, y)))
    return np.asarray(pts, np.float64)


def project_points(points: np.ndarray, rotation: Rotation, size: int | tuple[int, int],
                   scale: float, offset: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Image pixels ``(N, 2)`` (x right, y down) of model points, as :func:`render_head_layer`.

    Pixel ``(i, j)`` spans ``[j, j + 1) x [i, i + 1)``: the head centre projects to
    ``(W / 2 + dx, H / 2 + dy)``.
    """
    h, w = (size, size) if isinstance(size, (int, np.integer)) else (int(size[0]), int(size[1]))
    ppu = scale * min(h, w) / HEAD_EXTENT
    cam = np.asarray(points, np.float64) @ np.asarray(rotation, np.float64).reshape(3, 3).T
    return np.stack([0.5 * w + offset[0] + ppu * cam[:, 0],
                     0.5 * h + offset[1] - ppu * cam[:, 1]], axis=1)


# ---------------------------------------------------------------------------
# Shading
# ---------------------------------------------------------------------------
# Materials (rows of the per-call palette).
(_M_SKIN, _M_NOSE, _M_EAR, _M_NECK, _M_HAIR, _M_WHITE, _M_IRIS, _M_PUPIL, _M_LID, _M_BROW,
 _M_LIP, _M_LIP_LINE, _M_BEARD) = range(13)
_KIND_MATERIAL = {_SKULL: _M_SKIN, _JAW: _M_SKIN, _NOSE: _M_NOSE, _EAR: _M_EAR,
                  _HAIR: _M_HAIR, _NECK: _M_NECK}


def _palette(ident: dict[str, Any]) -> np.ndarray:
    """``(3, M)`` float32 BGR albedo of every material, channel-major."""
    skin = np.asarray(ident['skin_color'])
    hair = np.asarray(ident['hair_color'])
    lip = np.asarray(ident['lip_color'])
    rows = [skin, ident['nose_color'], ident['ear_color'], ident['neck_color'], hair,
            ident['eye_white'], ident['iris_color'], (0.03, 0.03, 0.03),
            np.asarray(ident['brow_color']) * 0.5, ident['brow_color'], lip, lip * 0.35,
            0.3 * skin + 0.7 * hair]
    return np.ascontiguousarray(np.asarray(rows, np.float32).T)


def _face_features(mx: np.ndarray, my: np.ndarray, mat: np.ndarray, fac: np.ndarray,
                   ident: dict[str, Any], detail: bool = False) -> None:
    """Paints eyes, brows, mouth and beard onto bare face pixels (model coords, z > 0).

    Args:
        mx: ``(n,)`` model x of the pixels.
        my: ``(n,)`` model y of the pixels.
        mat: ``(n,)`` material indices, updated in place.
        fac: ``(n,)`` multiplicative shading factors, updated in place.
        ident: The identity.
        detail: photographic contrast: larger eyes in deep, shaded sockets, a lash
            line, thicker brows.
    """
    ax = np.abs(mx)
    eye_k, brow_k = (1.2, 1.6) if detail else (1.0, 1.0)
    if ident['beard']:
        np.copyto(mat, _M_BEARD, where=(my < ident['nose_y'] - 0.12) & (ax < 0.62))
    # Eyes: a slightly darker socket, a dark upper lid line, sclera, iris and pupil.
    erx, ery = ident['eye_radii']
    erx, ery = erx * eye_k, ery * eye_k
    dy = my - ident['eye_y']
    dx = ax - ident['eye_x']
    e = (dx * (1.0 / erx)) ** 2 + (dy * (1.0 / ery)) ** 2
    if detail:  # a socket shaded from the brow down, darkest next to the nose
        sock = (dx * (1.0 / (1.7 * erx))) ** 2 + ((dy - 0.6 * ery) * (1.0 / (3.2 * ery))) ** 2
        np.multiply(fac, 0.68 + 0.32 * np.minimum(sock, 1.0), out=fac, where=sock < 1.0)
        np.copyto(mat, _M_LID, where=(e < 2.2) & (dy > 0.2 * ery))
    else:
        np.multiply(fac, 0.9, out=fac, where=(e < 3.0))
        np.copyto(mat, _M_LID, where=(e < 1.6) & (dy > 0.0))
    white = e < 1.0
    np.copyto(mat, _M_WHITE, where=white)
    gx, gy = ident['gaze']
    dxi = np.where(mx > 0, dx, -dx) - gx  # the same gaze for both eyes in model x
    r2 = dxi * dxi + (dy - gy) ** 2
    ir2 = (ident['iris_radius'] * eye_k) ** 2
    np.copyto(mat, _M_IRIS, where=white & (r2 < ir2))
    np.copyto(mat, _M_PUPIL, where=white & (r2 < 0.2 * ir2))
    # Brows.
    half = 0.5 * ident['brow_len']
    bx = (ax - ident['brow_x']) * (1.0 / half)
    brow = (np.abs(bx) < 1.0) & (
        np.abs(my - ident['brow_y'] + ident['brow_arch'] * bx * bx)
        < 0.5 * brow_k * ident['brow_thickness'] * (1.0 - 0.4 * bx))
    np.copyto(mat, _M_BROW, where=brow)
    # Mouth: lips and the dark line between them.
    mw, mh = ident['mouth_radii']
    dym = my - ident['mouth_y'] - ident['smile'] * 0.25 * mx * mx
    lips = (mx * (1.0 / mw)) ** 2 + (dym * (1.0 / mh)) ** 2 < 1.0
    np.copyto(mat, _M_LIP, where=lips)
    np.copyto(mat, _M_LIP_LINE, where=lips & (np.abs(dym) < 0.18 * mh + 0.004))


def render_head_layer(identity: dict[str, Any], rotation: Rotation,
                      size: int | tuple[int, int], light: Sequence[float] | np.ndarray,
                      *, scale: float = 0.6, offset: tuple[float, float] = (0.0, 0.0),
                      ambient: float = 0.4, detail: bool = False) -> HeadLayer:
    """Renders one head (and its neck) without background, for compositing.

    The head centre (model origin) projects to the image centre plus ``offset``. The
    projection is orthographic with ``scale * min(H, W) / HEAD_EXTENT`` pixels per model
    unit, so an average head is about ``scale`` times the image height.

    Args:
        identity: Parameters from :func:`sample_identity`.
        rotation: ``(3, 3)`` rotation mapping model coordinates into the camera frame
            (x right, y up, z toward the viewer).
        size: Output size, ``S`` for a square or ``(H, W)``.
        light: Light direction in the camera frame (from the head toward the light;
            normalised internally).
        scale: Head height as a fraction of the image height.
        offset: ``(dx, dy)`` offset of the head centre in pixels (x right, y down).
        ambient: Ambient light fraction in [0, 1]; the rest is Lambertian.
        detail: photographic details: deep, shaded eye sockets with larger eyes and a
            lash line, thicker brows, a specular sheen on the skin and a fine skin
            texture (``False``: the original flat look).

    Returns:
        The rendered :class:`HeadLayer`.
    """
    h, w = (size, size) if isinstance(size, (int, np.integer)) else (int(size[0]), int(size[1]))
    rot = tuple(map(tuple, np.asarray(rotation, dtype=np.float64).reshape(3, 3).tolist()))
    ppu = scale * min(h, w) / HEAD_EXTENT
    inv = 1.0 / ppu
    xs = (np.arange(w, dtype=np.float32) + np.float32(0.5 - 0.5 * w - offset[0])) * np.float32(inv)
    ys = (np.arange(h, dtype=np.float32) + np.float32(0.5 - 0.5 * h - offset[1])) * np.float32(-inv)
    prims = _build_prims(identity, rot)
    lut = _hairline_lut(identity)
    t_best, part, inner = _trace(prims, rot, xs, ys, identity, lut)

    alpha = (part >= 0).astype(np.float32)
    n_head = len(prims) - (prims[-1].kind == _NECK)  # the neck, if any, comes last
    head_mask = (part >= 0) & (part < n_head)
    depth = np.full((h, w), -np.inf, np.float32)
    flat = np.flatnonzero(part.ravel() >= 0)
    if len(flat) == 0:
        return HeadLayer(np.zeros((h, w, 3), np.float32), alpha, depth, head_mask)
    rr = flat // w
    cc = flat - rr * w
    t = t_best.ravel()[flat]
    pv = part.ravel()[flat].astype(np.intp)
    inner_v = inner.ravel()[flat]
    (ex0, ex1, ex2), (ey0, ey1, ey2), (ez0, ez1, ez2) = rot  # rows of R: model-frame axes
    xv, yv = xs.take(cc), ys.take(rr)
    mx = xv * ex0 + yv * ey0 - t * ez0
    my = xv * ex1 + yv * ey1 - t * ez1
    mz = xv * ex2 + yv * ey2 - t * ez2

    # Normals by table look-up: n = S_k (m - c_k) with S_k = Q^T diag(a^-2) Q.
    s_rows = []
    for p in prims:
        qa, a = p.axes, p.radii
        (q00, q01, q02), (q10, q11, q12), (q20, q21, q22) = qa
        w0, w1, w2 = 1.0 / (a[0] * a[0]), 1.0 / (a[1] * a[1]), 1.0 / (a[2] * a[2])
        sxx = q00 * q00 * w0 + q10 * q10 * w1 + q20 * q20 * w2
        syy = q01 * q01 * w0 + q11 * q11 * w1 + q21 * q21 * w2
        szz = q02 * q02 * w0 + q12 * q12 * w1 + q22 * q22 * w2
        sxy = q00 * q01 * w0 + q10 * q11 * w1 + q20 * q21 * w2
        sxz = q00 * q02 * w0 + q10 * q12 * w1 + q20 * q22 * w2
        syz = q01 * q02 * w0 + q11 * q12 * w1 + q21 * q22 * w2
        c0, c1, c2 = p.center
        s_rows.append((sxx, syy, szz, sxy, sxz, syz, sxx * c0 + sxy * c1 + sxz * c2,
                       sxy * c0 + syy * c1 + syz * c2, sxz * c0 + syz * c1 + szz * c2))
    sxx, syy, szz, sxy, sxz, syz, bx, by, bz = (
        row.take(pv) for row in np.array(s_rows, np.float32).T.copy())
    nx = sxx * mx + sxy * my + sxz * mz - bx
    ny = sxy * mx + syy * my + syz * mz - by
    nz = sxz * mx + syz * my + szz * mz - bz
    inv_n = 1.0 / np.sqrt(nx * nx + ny * ny + nz * nz + 1e-12)
    inv_n[inner_v] *= -1.0  # the inside of a hair shell faces the other way

    # Lambertian shading with ambient, in the model frame.
    lc = [float(v) for v in light]
    ln = 1.0 / (math.sqrt(_dot(lc, lc)) + 1e-12)
    lm = _mv(tuple(zip(*rot)), lc)  # R^T l
    lam = (nx * (lm[0] * ln) + ny * (lm[1] * ln) + nz * (lm[2] * ln)) * inv_n
    fac = np.maximum(lam, 0.0) * np.float32(1.0 - ambient) + np.float32(ambient)
    np.multiply(fac, 0.55, out=fac, where=inner_v)

    # Materials: per primitive, then hair on the skull, face features, small details.
    # Primitive order (see _build_prims): skull 0, jaw 1, nose 2, ears 3-4, hair, neck.
    mat = np.array([_KIND_MATERIAL[p.kind] for p in prims], np.intp).take(pv)
    face = pv <= 1
    idx = np.flatnonzero(face)
    if len(idx):
        hr = idx[_hair_region(mx[idx], my[idx], mz[idx], identity, lut)]
        mat[hr] = _M_HAIR
    idx = np.flatnonzero(mat == _M_HAIR)
    if len(idx):
        fac[idx] *= _hair_texture(mx[idx], my[idx], mz[idx], identity)
    idx = np.flatnonzero(face & (mat != _M_HAIR) & (mz > 0.0))
    blush = None
    if len(idx):
        sub_mat, sub_fac = mat[idx], fac[idx]
        fx, fy = mx[idx], my[idx]
        _face_features(fx, fy, sub_mat, sub_fac, identity, detail)
        mat[idx] = sub_mat
        fac[idx] = sub_fac
        if identity['blush'] > 0:
            g = np.exp(((np.abs(fx) - 0.4) ** 2 + (fy + 0.22) ** 2) * -40.0)
            g *= (sub_mat == _M_SKIN) * np.float32(0.12 * identity['blush'])
            blush = (idx, 1.0 - g)
    idx = np.flatnonzero(pv == 2)
    if len(idx):  # nostrils: the underside of the nose, off the midline
        nost = idx[(ny[idx] * inv_n[idx] < -0.55) & (np.abs(mx[idx]) > 0.025)]
        fac[nost] *= 0.45
    for k, p in enumerate(prims):
        if p.kind != _EAR:
            continue
        idx = np.flatnonzero(pv == k)
        if len(idx):  # a darker concha on the outer face of the ear
            lx, ly, lz = mx[idx] - p.center[0], my[idx] - p.center[1], mz[idx] - p.center[2]
            loc = [(lx * qr[0] + ly * qr[1] + lz * qr[2]) * (1.0 / r)
                   for qr, r in zip(p.axes, p.radii)]
            concha = (loc[0] * math.copysign(1.0, p.center[0]) > 0.3) & (
                loc[1] ** 2 + loc[2] ** 2 < 0.35)
            fac[idx[concha]] *= 0.72

    spec = None
    if detail:
        skin = mat <= _M_NECK  # skin, nose, ears, neck (materials 0-3)
        # Fine skin texture, then Blinn-Phong sheen: half vector of light and view.
        fac[skin] *= 1.0 + 0.035 * (np.sin(37.0 * mx[skin] + 11.0 * my[skin])
                                    * np.sin(29.0 * my[skin] - 13.0 * mz[skin]))
        vm = rot[2]  # the view direction (camera +z) in the model frame
        hv = [lm[i] * ln + vm[i] for i in range(3)]
        hn = 1.0 / (math.sqrt(_dot(hv, hv)) + 1e-12)
        nh = (nx * (hv[0] * hn) + ny * (hv[1] * hn) + nz * (hv[2] * hn)) * inv_n
        spec = np.where(skin, np.maximum(nh, 0.0) ** 24, 0.0).astype(np.float32)
        spec *= np.float32(0.22 * (1.0 - ambient))
    # Colour = albedo(material) * shading, written channel by channel.
    pal = _palette(identity)
    planes = []
    for ch in range(3):
        col = pal[ch].take(mat)
        col *= fac
        if spec is not None:
            col += spec
        if blush is not None and ch < 2:
            col[blush[0]] *= blush[1]
        plane = np.zeros(h * w, np.float32)
        plane[flat] = np.minimum(col, 1.0, out=col)
        planes.append(plane.reshape(h, w))
    depth.ravel()[flat] = t * np.float32(-ppu)
    return HeadLayer(cv2.merge(planes), alpha, depth, head_mask)


# ---------------------------------------------------------------------------
# Backgrounds, lights and the full crop
# ---------------------------------------------------------------------------
def _fill(h: int, w: int, color: Sequence[float]) -> np.ndarray:
    """``(h, w, 3)`` float32 image of one colour."""
    return cv2.merge([np.full((h, w), float(c), np.float32) for c in color])


def _luma_noise(rng: np.random.Generator, h: int, w: int, std: float) -> np.ndarray:
    """``(h, w, 3)`` float32 zero-mean grey noise (uniform, cheap) with the given std."""
    n = rng.random((h, w), dtype=np.float32)
    n -= np.float32(0.5)
    n *= np.float32(std * np.sqrt(12.0))
    return cv2.cvtColor(n, cv2.COLOR_GRAY2BGR)


def random_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Draws a random background: colour gradient or smooth noise, optionally with shapes.

    Args:
        rng: Source of randomness.
        h: Height in pixels.
        w: Width in pixels.

    Returns:
        ``(h, w, 3)`` float32 BGR image in [0, 1].
    """
    kind = rng.random()
    if kind < 0.8:
        # Bilinear gradient between random corner colours, or smooth colour noise.
        k = 2 if kind < 0.45 else int(rng.integers(3, 9))
        small = rng.random((k, k, 3)).astype(np.float32)
        if k > 2:
            small = cv2.resize(small, (4 * k, 4 * k), interpolation=cv2.INTER_CUBIC)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    else:
        img = _fill(h, w, rng.random(3))
    if rng.random() < 0.5:
        for _ in range(int(rng.integers(1, 7))):
            col = tuple(float(v) for v in rng.random(3))
            x0, x1 = (int(v) for v in rng.integers(-w // 4, w + w // 4, 2))
            y0, y1 = (int(v) for v in rng.integers(-h // 4, h + h // 4, 2))
            shape = rng.random()
            if shape < 0.4:
                cv2.rectangle(img, (x0, y0), (x1, y1), col, -1)
            elif shape < 0.75:
                r = int(rng.integers(2, max(3, min(h, w) // 3)))
                cv2.circle(img, (x0, y0), r, col, -1)
            else:
                cv2.line(img, (x0, y0), (x1, y1), col, int(rng.integers(1, 6)))
    if rng.random() < 0.3:
        img += _luma_noise(rng, h, w, float(rng.uniform(0.01, 0.05)))
    return np.clip(img, 0.0, 1.0, out=img)


def _muted_color(rng: np.random.Generator) -> np.ndarray:
    """A colour of everyday scenes: mostly low saturation, any brightness."""
    sat = float(rng.uniform(0.0, 1.0)) ** 2 * 0.7
    return float(rng.uniform(0.08, 0.95)) * ((1.0 - sat) + sat * rng.random(3))


def natural_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Draws a background like a photograph's: muted colours, texture, defocused clutter.

    Two muted colours mixed by multi-scale value noise (walls, foliage, fabric), then up
    to eight rectangles, bars and discs in further muted colours (furniture, windows,
    other people), all blurred by a random defocus; sometimes a vertical brightness
    gradient (a light source above).

    Args:
        rng: Source of randomness.
        h: Height in pixels.
        w: Width in pixels.

    Returns:
        ``(h, w, 3)`` float32 BGR image in [0, 1].
    """
    noise = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for k in (3, 6, 12, 24):
        if k > max(h, w) // 2:
            break
        small = rng.random((k, k)).astype(np.float32)
        noise += amp * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        total += amp
        amp *= float(rng.uniform(0.3, 0.8))
    noise /= total
    c1, c2 = _muted_color(rng).astype(np.float32), _muted_color(rng).astype(np.float32)
    img = c1 + noise[..., None] * (c2 - c1)
    for _ in range(int(rng.integers(0, 9))):
        col = tuple(float(v) for v in _muted_color(rng))
        x0, x1 = (int(v) for v in rng.integers(-w // 4, w + w // 4, 2))
        y0, y1 = (int(v) for v in rng.integers(-h // 4, h + h // 4, 2))
        shape = rng.random()
        if shape < 0.5:
            cv2.rectangle(img, (x0, y0), (x1, y1), col, -1)
        elif shape < 0.8:
            cv2.line(img, (x0, y0), (x1, y1), col, int(rng.integers(1, max(2, w // 8))))
        else:
            cv2.circle(img, (x0, y0), int(rng.integers(2, max(3, min(h, w) // 3))), col, -1)
    if rng.random() < 0.4:
        img *= np.linspace(float(rng.uniform(0.9, 1.3)), float(rng.uniform(0.5, 1.0)), h,
                           dtype=np.float32)[:, None, None]
    sigma = float(rng.uniform(0.0, 2.5)) * min(h, w) / 64.0
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    return np.clip(img, 0.0, 1.0, out=img)


def random_light(rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Draws a light direction (camera frame, toward the viewer's hemisphere) and ambient.

    Args:
        rng: Source of randomness.

    Returns:
        ``(direction (3,) float64 unit vector, ambient fraction)``.
    """
    v = np.array([rng.uniform(-1.0, 1.0), rng.uniform(-0.6, 1.0), rng.uniform(0.3, 1.2)])
    return v / np.linalg.norm(v), float(rng.uniform(0.25, 0.6))


_BACKGROUNDS = {'synthetic': random_background, 'natural': natural_background}


def mask_to_bbox(mask: np.ndarray) -> np.ndarray:
    """Returns the ``[x1, y1, x2, y2]`` pixel-edge box of a mask (zeros if empty).

    Args:
        mask: ``(H, W)`` boolean mask.

    Returns:
        ``(4,)`` float32 box, ``x2``/``y2`` exclusive (one past the last pixel).
    """
    cols = np.flatnonzero(mask.any(0))
    rows = np.flatnonzero(mask.any(1))
    if len(cols) == 0:
        return np.zeros(4, np.float32)
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], np.float32)


def render_head(identity: dict[str, Any], rotation: Rotation, size: int = 128,
                rng: np.random.Generator | int | None = None, *, scale: float = 0.6,
                background: np.ndarray | Sequence[float] | None = None,
                light: Sequence[float] | np.ndarray | None = None,
                ambient: float | None = None, jitter: float = 0.05,
                blur_prob: float = 0.3, noise_prob: float = 0.5, tint: float = 0.1,
                bbox_source: str = 'head', background_style: str = 'synthetic',
                face_detail: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Renders a head crop at a known rotation.

    The output is a deterministic function of the arguments and of the state of
    ``rng`` (same seed, same image, bit for bit).

    Args:
        identity: Parameters from :func:`sample_identity`.
        rotation: ``(3, 3)`` rotation mapping model coordinates into the camera frame
            (x right, y up, z toward the viewer); the face points along ``R[:, 2]``.
        size: Side of the square crop in pixels.
        rng: Generator (or seed) for the per-call variation; ``None`` uses fresh entropy.
        scale: Head height as a fraction of the crop side.
        background: ``None`` for a random one (see ``background_style``), a BGR colour
            in [0, 1] or an
            ``(size, size, 3)`` float image in [0, 1] (uint8 images are rescaled).
        light: Light direction in the camera frame; ``None`` draws one.
        ambient: Ambient fraction; ``None`` draws one (with ``light=None``) or uses 0.4.
        jitter: Maximum random offset of the head centre and relative scale change, as
            fractions of the crop side / of ``scale``. 0 disables.
        blur_prob: Probability of a random Gaussian blur.
        noise_prob: Probability of additive (grey) pixel noise.
        tint: Maximum per-channel colour cast of the light (relative). 0 disables.
        bbox_source: ``'head'``: the box of the visible head (neck excluded);
            ``'landmarks'``: the box of the projected :func:`face_landmarks` (brows to
            chin, both cheeks' contours; as AFLW2000's ``pt3d_68`` box), which may reach
            beyond the image.
        background_style: the random background: ``'synthetic'``
            (:func:`random_background`, saturated gradients and shapes) or ``'natural'``
            (:func:`natural_background`, muted, textured, defocused).
        face_detail: photographic face details (see :func:`render_head_layer`).

    Returns:
        ``(img, bbox)``: ``(size, size, 3)`` uint8 BGR image and ``(4,)`` float32
        ``[x1, y1, x2, y2]`` box in pixels (see ``bbox_source``).
    """
    if bbox_source not in ('head', 'landmarks'):
        raise ValueError(f"render_head: bbox_source must be 'head' or 'landmarks', "
                         f'got {bbox_source!r}')
    if background_style not in _BACKGROUNDS:
        raise ValueError(f'render_head: background_style must be one of '
                         f'{tuple(_BACKGROUNDS)}, got {background_style!r}')
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    if light is None:
        light, amb = random_light(rng)
        ambient = amb if ambient is None else ambient
    elif ambient is None:
        ambient = 0.4
    offset = (0.0, 0.0)
    if jitter > 0:
        jx, jy, js = rng.uniform(-jitter, jitter, 3)
        offset = (float(jx) * size, float(jy) * size)
        scale = scale * (1.0 + float(js))
    layer = render_head_layer(identity, rotation, size, light, scale=scale, offset=offset,
                              ambient=ambient, detail=face_detail)
    if background is None:
        bg = _BACKGROUNDS[background_style](rng, size, size)
    else:
        bg_arr = np.asarray(background)
        bg_arr = bg_arr.astype(np.float32) * np.float32(
            1.0 / 255.0 if bg_arr.dtype == np.uint8 else 1.0)
        if bg_arr.ndim == 1:
            bg = _fill(size, size, bg_arr)
        else:
            bg = np.array(np.broadcast_to(bg_arr, (size, size, 3)), np.float32)
    # Per-call colour cast of the light, then alpha compositing (binary alpha).
    head = layer.bgr
    if tint > 0:
        head = cv2.transform(head, np.diag(rng.uniform(1.0 - tint, 1.0 + tint, 3)).astype(
            np.float32))
    img = cv2.copyTo(head, (layer.alpha > 0).view(np.uint8), bg)
    if rng.random() < blur_prob:
        sigma = float(rng.uniform(0.3, 1.5)) * size / 128.0
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    if rng.random() < noise_prob:
        img = img + _luma_noise(rng, size, size, float(rng.uniform(0.005, 0.04)))
    np.clip(img, 0.0, 1.0, out=img)
    if bbox_source == 'landmarks':
        xy = project_points(face_landmarks(identity), rotation, size, scale, offset)
        bbox = np.concatenate([xy.min(0), xy.max(0)]).astype(np.float32)
    else:
        bbox = mask_to_bbox(layer.head_mask)
    return cv2.convertScaleAbs(img, alpha=255.0), bbox
