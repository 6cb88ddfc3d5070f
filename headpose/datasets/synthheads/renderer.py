"""Procedural SynthHeads renderer: ray-cast synthetic 3D heads at a known rotation (numpy + cv2)."""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence, Union

import cv2
import numpy as np

__all__ = [
    'HeadLayer',
    'mask_to_bbox',
    'random_background',
    'random_light',
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
_FACE_KINDS = (_SKULL, _JAW)
_HEAD_KINDS = (_SKULL, _JAW, _NOSE, _EAR, _HAIR)

_HAIR_STYLES = ('buzz', 'short', 'medium', 'long', 'bun', 'afro')
_HAIR_STYLE_P = (0.1, 0.3, 0.2, 0.2, 0.1, 0.1)
# Azimuth knots of the hairline: 0 = front, 0.5 = side (ear), 1 = back.
_HAIR_KNOTS = np.array([0.0, 0.2, 0.5, 0.8, 1.0])

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
    center: np.ndarray  # (3,) model frame
    axes: np.ndarray  # (3, 3), rows are the ellipsoid axes in the model frame
    radii: np.ndarray  # (3,)
    color: np.ndarray  # (3,) BGR albedo
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


def sample_identity(rng: np.random.Generator) -> dict[str, Any]:
    """Samples the appearance of one synthetic person.

    All lengths are in model units (the skull is about 2 units tall), all colours are
    BGR tuples in [0, 1]. The dictionary holds only plain Python values, so it can be
    stored in annotation files; callers may edit it (e.g. set a distinct
    ``'nose_color'``) before rendering.

    Args:
        rng: Source of randomness.

    Returns:
        The identity parameters, to be passed to :func:`render_head`.
    """
    # Skin: a continuum from light to dark plus a small per-channel jitter.
    t = _u(rng, 0.0, 1.0) * (len(_SKIN_RGB) - 1)
    i = min(int(t), len(_SKIN_RGB) - 2)
    skin = _SKIN_RGB[i] + (t - i) * (_SKIN_RGB[i + 1] - _SKIN_RGB[i])
    skin = skin * rng.uniform(0.94, 1.06, 3)
    hair = _HAIR_RGB[rng.choice(len(_HAIR_RGB), p=_HAIR_P)] * rng.uniform(0.85, 1.15, 3)
    if rng.random() < 0.04:  # dyed
        hair = rng.uniform(0.05, 0.9, 3)
    # Keep hair distinguishable from skin (back views must look different).
    if np.abs(hair - skin).mean() < 0.18:
        hair = hair * 0.45 if skin.mean() > 0.45 else np.minimum(hair * 0.3 + 0.55, 1.0)
    iris = _IRIS_RGB[rng.integers(len(_IRIS_RGB))] * rng.uniform(0.85, 1.15, 3)
    lip = skin * np.array([0.82, 0.55, 0.55]) * _u(rng, 0.8, 1.0)

    rx, ry, rz = _u(rng, 0.72, 0.84), _u(rng, 0.92, 1.02), _u(rng, 0.88, 1.0)
    skull_c = (0.0, _u(rng, 0.08, 0.16), _u(rng, -0.10, -0.02))
    jaw_c = (0.0, _u(rng, -0.50, -0.40), _u(rng, 0.08, 0.16))
    jaw_r = (_u(rng, 0.52, 0.66), _u(rng, 0.48, 0.58), _u(rng, 0.62, 0.72))

    style = str(rng.choice(_HAIR_STYLES, p=_HAIR_STYLE_P))
    front = _u(rng, 0.42, 0.62) if rng.random() < 0.8 else _u(rng, 0.62, 0.8)
    if style in ('medium', 'long') and rng.random() < 0.4:
        front = _u(rng, 0.22, 0.38)  # fringe
    side = _u(rng, 0.05, 0.2)
    back = _u(rng, -0.75, -0.5)
    hairline = [front, 0.5 * (front + side) + _u(rng, -0.05, 0.05), side,
                0.5 * (side + back), back]
    if style == 'long':
        hairline[2:] = [_u(rng, -0.9, -0.5), -1.6, -2.5]
        hairline[1] = min(hairline[1], _u(rng, -0.1, 0.15))
    elif style == 'afro':
        hairline[2:] = [_u(rng, -0.2, 0.0), -0.7, -0.9]

    eye_y = _u(rng, 0.02, 0.12)
    nose_y = _u(rng, -0.24, -0.14)
    return {
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
        'hair_texture': (_u(rng, 0.03, 0.12), float(rng.integers(12, 40))),
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
    }


# ---------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------
def _rot_x(deg: float) -> np.ndarray:
    a = np.deg2rad(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _rot_y(deg: float) -> np.ndarray:
    a = np.deg2rad(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _vec(x: Sequence[float]) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _skull_front_z(ident: dict[str, Any], y: float) -> float:
    """Model z of the front of the skull/jaw union on the mid-sagittal plane at height y."""
    best = -np.inf
    for c, r in ((ident['skull_center'], ident['skull_radii']),
                 (ident['jaw_center'], ident['jaw_radii'])):
        v = (y - c[1]) / r[1]
        if abs(v) < 1.0:
            best = max(best, c[2] + r[2] * np.sqrt(1.0 - v * v))
    return float(best)


def _build_prims(ident: dict[str, Any], rotation: np.ndarray) -> list[_Prim]:
    eye = np.eye(3)
    skin = _vec(ident['skin_color'])
    hair = _vec(ident['hair_color'])
    sc, sr = _vec(ident['skull_center']), _vec(ident['skull_radii'])
    prims = [
        _Prim(_SKULL, sc, eye, sr, skin, False),
        _Prim(_JAW, _vec(ident['jaw_center']), eye, _vec(ident['jaw_radii']), skin, False),
    ]
    # Nose: an ellipsoid tilted so that its tip points forward-down, sunk into the face.
    nr = _vec(ident['nose_radii'])
    ny = ident['nose_y']
    nz = _skull_front_z(ident, ny) + 0.05 - 0.55 * nr[2]
    prims.append(_Prim(_NOSE, _vec((0.0, ny, nz)), _rot_x(-ident['nose_tilt']), nr,
                       _vec(ident['nose_color']), False))
    # Ears on both sides, angled backwards.
    er = _vec(ident['ear_radii'])
    for side in (-1.0, 1.0):
        c = _vec((side * (sr[0] * 0.96 + 0.25 * er[0]), ident['ear_y'], ident['ear_z']))
        prims.append(_Prim(_EAR, c, _rot_y(side * ident['ear_angle']), er,
                           _vec(ident['ear_color']), False))
    # Hair shells (clipped to the hair region) and extra hair volumes.
    style, th = ident['hair_style'], ident['hair_thickness']
    if style in ('short', 'medium', 'bun'):
        prims.append(_Prim(_HAIR, sc + _vec((0.0, 0.3 * th, -0.5 * th)), eye, sr + th, hair,
                           True))
    elif style == 'long':
        prims.append(_Prim(_HAIR, sc + _vec((0.0, -0.35, -0.1)), eye,
                           sr * _vec((1.0, 1.3, 1.0)) + _vec((th + 0.08, 0.0, th + 0.06)),
                           hair, True))
    elif style == 'afro':
        prims.append(_Prim(_HAIR, sc + _vec((0.0, 0.2, -0.15)), eye,
                           sr * _vec((1.3, 1.15, 1.25)), hair, True))
    if style == 'bun':
        r = 0.3 + th
        c = sc + _vec((0.0, 0.55 * sr[1], -0.75 * sr[2]))
        prims.append(_Prim(_HAIR, c, eye, _vec((r, r, r)), hair, False))
    if ident['neck']:
        # The neck stays upright in the camera frame: local = R (m - R^T c_cam).
        c_cam = _vec((0.0, -1.45, -0.2))
        prims.append(_Prim(_NECK, rotation.T @ c_cam, rotation, _vec(ident['neck_radii']),
                           _vec(ident['neck_color']), False))
    return prims


def _hair_region(mx: np.ndarray, my: np.ndarray, mz: np.ndarray,
                 ident: dict[str, Any]) -> np.ndarray:
    """Whether model points are above the hairline (on the skull or on a hair shell)."""
    sc, sr = ident['skull_center'], ident['skull_radii']
    hx = mx * (1.0 / sr[0])
    hz = (mz - sc[2]) * (1.0 / sr[2])
    w = 0.5 - 0.5 * hz / (np.sqrt(hx * hx + hz * hz) + 1e-6)  # 0 front, 1 back
    thr = np.interp(w, _HAIR_KNOTS, ident['hairline']).astype(np.float32)
    amp, freq, phase = ident['hair_wave']
    thr += amp * np.sin(freq * hx + phase) + ident['hair_asym'] * hx * (1.0 - w)
    return (my - sc[1]) * (1.0 / sr[1]) > thr


def _hair_texture(mx: np.ndarray, my: np.ndarray, mz: np.ndarray,
                  ident: dict[str, Any]) -> np.ndarray:
    """Multiplicative strand texture of the hair."""
    amp, freq = ident['hair_texture']
    ang = np.arctan2(mx, mz - ident['skull_center'][2])
    if ident['hair_style'] == 'afro':
        f = 3.0 * freq
        return 1.0 + 2.0 * amp * np.sin(f * mx) * np.sin(f * my) * np.sin(f * mz)
    return 1.0 + amp * np.sin(freq * ang) + 0.5 * amp * np.sin(2.7 * freq * ang + 1.0)


def _trace(prims: list[_Prim], rotation: np.ndarray, xs: np.ndarray, ys: np.ndarray,
           ident: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Casts one orthographic ray per pixel against all primitives (z-buffered).

    Args:
        prims: The primitives.
        rotation: Model-to-camera rotation.
        xs: ``(W,)`` camera x of the pixel columns, model units.
        ys: ``(H,)`` camera y of the pixel rows, model units.
        ident: The identity (for the hair region of hair shells).

    Returns:
        ``t`` (H, W) float32 ray parameter of the nearest hit (camera z = -t, ``inf``
        where nothing is hit), ``part`` (H, W) int16 index of the primitive (-1: none)
        and ``inner`` (H, W) bool, hits on the inside of a hair shell.
    """
    h, w = len(ys), len(xs)
    ex, ey, d = rotation[0], rotation[1], -rotation[2]  # pixel axes and ray in model frame
    t_best = np.full((h, w), np.inf, np.float32)
    part = np.full((h, w), -1, np.int16)
    inner = np.zeros((h, w), bool)
    step_x = xs[1] - xs[0] if w > 1 else 1.0
    step_y = ys[0] - ys[1] if h > 1 else 1.0
    for k, p in enumerate(prims):
        q_axes, a = p.axes, p.radii
        # Projected bounding box of the ellipsoid -> pixel sub-rectangle.
        cc = rotation @ p.center
        ext_x = np.linalg.norm(a * (q_axes @ ex))
        ext_y = np.linalg.norm(a * (q_axes @ ey))
        c0 = max(int(np.floor((cc[0] - ext_x - xs[0]) / step_x)), 0)
        c1 = min(int(np.ceil((cc[0] + ext_x - xs[0]) / step_x)) + 1, w)
        r0 = max(int(np.floor((ys[0] - cc[1] - ext_y) / step_y)), 0)
        r1 = min(int(np.ceil((ys[0] - cc[1] + ext_y) / step_y)) + 1, h)
        if c0 >= c1 or r0 >= r1:
            continue
        x, y = xs[c0:c1], ys[r0:r1]
        # Ray in ellipsoid-normalised coordinates: p(x, y) + t q, solve |.|^2 = 1.
        px = (q_axes @ ex) / a
        py = (q_axes @ ey) / a
        p0 = -(q_axes @ p.center) / a
        q = (q_axes @ d) / a
        qq = float(q @ q)
        b = (float(p0 @ q) + float(px @ q) * x)[None, :] + (float(py @ q) * y)[:, None]
        c = ((float(p0 @ p0) - 1.0) + (2.0 * float(p0 @ px) + float(px @ px) * x) * x)[None, :]
        c = c + ((2.0 * float(p0 @ py) + float(py @ py) * y) * y)[:, None]
        c += (2.0 * float(px @ py) * y)[:, None] * x[None, :]
        disc = b * b - qq * c
        hit = disc >= 0.0
        if not hit.any():
            continue
        sq = np.sqrt(np.maximum(disc, 0.0))
        t = (-b - sq) * (1.0 / qq)
        t[~hit] = np.inf
        if p.clip_hair:
            # Keep the outer surface inside the hair region, else the inner one.
            def region(tt: np.ndarray) -> np.ndarray:
                mx = x[None, :] * float(ex[0]) + y[:, None] * float(ey[0]) + tt * float(d[0])
                my = x[None, :] * float(ex[1]) + y[:, None] * float(ey[1]) + tt * float(d[1])
                mz = x[None, :] * float(ex[2]) + y[:, None] * float(ey[2]) + tt * float(d[2])
                return _hair_region(mx, my, mz, ident)

            ok_near = hit & region(np.where(hit, t, 0.0))
            t_far = (-b + sq) * (1.0 / qq)
            ok_far = hit & ~ok_near & region(t_far)
            is_inner = ok_far
            t = np.where(ok_near, t, np.where(ok_far, t_far, np.inf)).astype(np.float32)
        tb = t_best[r0:r1, c0:c1]
        upd = t < tb
        tb[upd] = t[upd]
        part[r0:r1, c0:c1][upd] = k
        inner[r0:r1, c0:c1][upd] = is_inner[upd] if p.clip_hair else False
    return t_best, part, inner


# ---------------------------------------------------------------------------
# Shading
# ---------------------------------------------------------------------------
def _paint(albedo: np.ndarray, mask: np.ndarray, color: Sequence[float]) -> None:
    if mask.any():
        albedo[mask] = np.asarray(color, np.float32)


def _face_features(albedo: np.ndarray, mx: np.ndarray, my: np.ndarray,
                   ident: dict[str, Any], hair_color: np.ndarray) -> None:
    """Paints eyes, brows, mouth, blush and beard onto face pixels (model coords, z > 0)."""
    ax = np.abs(mx)
    # Blush on the cheeks.
    if ident['blush'] > 0:
        g = np.exp(((ax - 0.4) ** 2 + (my + 0.22) ** 2) * -40.0) * ident['blush']
        albedo *= (1.0 - g[:, None] * np.array([0.12, 0.12, 0.0], np.float32))
    # Beard / moustache.
    mouth_y = ident['mouth_y']
    mw, mh = ident['mouth_radii']
    if ident['beard']:
        beard = (my < ident['nose_y'] - 0.12) & (ax < 0.62)
        albedo[beard] = albedo[beard] * 0.3 + hair_color * 0.7
    # Eyes: sclera, iris, pupil and a dark upper lid line; a slightly darker socket.
    erx, ery = ident['eye_radii']
    ey = ident['eye_y']
    dy = my - ey
    dx = ax - ident['eye_x']
    e = (dx * (1.0 / erx)) ** 2 + (dy * (1.0 / ery)) ** 2
    socket = (e < 3.0) & (e >= 1.0)
    albedo[socket] *= 0.92
    _paint(albedo, (e >= 1.0) & (e < 1.6) & (dy > 0.0), np.asarray(ident['brow_color']) * 0.5)
    white = e < 1.0
    _paint(albedo, white, ident['eye_white'])
    gx, gy = ident['gaze']
    dxi = np.where(mx > 0, dx, -dx) - gx  # gaze is the same for both eyes in model x
    r2 = dxi * dxi + (dy - gy) ** 2
    ir = ident['iris_radius']
    _paint(albedo, white & (r2 < ir * ir), ident['iris_color'])
    _paint(albedo, white & (r2 < 0.2 * ir * ir), (0.03, 0.03, 0.03))
    # Brows.
    half = 0.5 * ident['brow_len']
    bx = (ax - ident['brow_x']) * (1.0 / half)
    brow = (np.abs(bx) < 1.0) & (
        np.abs(my - ident['brow_y'] + ident['brow_arch'] * bx * bx)
        < 0.5 * ident['brow_thickness'] * (1.0 - 0.4 * bx))
    _paint(albedo, brow, ident['brow_color'])
    # Mouth: lips and the dark line between them.
    dym = my - mouth_y - ident['smile'] * 0.25 * mx * mx
    lips = (mx * (1.0 / mw)) ** 2 + (dym * (1.0 / mh)) ** 2 < 1.0
    _paint(albedo, lips, ident['lip_color'])
    _paint(albedo, lips & (np.abs(dym) < 0.18 * mh + 0.004), np.asarray(ident['lip_color']) * 0.35)


def render_head_layer(identity: dict[str, Any], rotation: Rotation,
                      size: int | tuple[int, int], light: Sequence[float] | np.ndarray,
                      *, scale: float = 0.6, offset: tuple[float, float] = (0.0, 0.0),
                      ambient: float = 0.4) -> HeadLayer:
    """Renders one head (and its neck) without background, for compositing.

    The head centre (model origin) projects to the image centre plus ``offset``. The
    projection is orthographic with ``scale * min(H, W) / HEAD_EXTENT`` pixels per model
    unit, so an average head is about ``scale`` times the crop height.

    Args:
        identity: Parameters from :func:`sample_identity`.
        rotation: ``(3, 3)`` rotation mapping model coordinates into the camera frame
            (x right, y up, z toward the viewer).
        size: Output size, ``S`` for a square or ``(H, W)``.
        light: Light direction in the camera frame (pointing from the head toward the
            light; normalised internally).
        scale: Head height as a fraction of the image height.
        offset: ``(dx, dy)`` offset of the head centre in pixels (x right, y down).
        ambient: Ambient light fraction in [0, 1]; the rest is Lambertian.

    Returns:
        The rendered :class:`HeadLayer`.
    """
    h, w = (size, size) if isinstance(size, (int, np.integer)) else (int(size[0]), int(size[1]))
    rot = np.asarray(rotation, dtype=np.float64).reshape(3, 3)
    ppu = scale * min(h, w) / HEAD_EXTENT
    inv = 1.0 / ppu
    xs = ((np.arange(w, dtype=np.float32) + 0.5 - (0.5 * w + offset[0])) * inv)
    ys = ((np.arange(h, dtype=np.float32) + 0.5 - (0.5 * h + offset[1])) * -inv)
    prims = _build_prims(identity, rot)
    t_best, part, inner = _trace(prims, rot, xs, ys, identity)

    bgr = np.zeros((h, w, 3), np.float32)
    depth = np.full((h, w), -np.inf, np.float32)
    vis = part >= 0
    head_lut = np.array([p.kind in _HEAD_KINDS for p in prims] + [False])
    head_mask = head_lut[part]
    rr, cc = np.nonzero(vis)
    if len(rr) == 0:
        return HeadLayer(bgr, vis.astype(np.float32), depth, head_mask)
    t = t_best[rr, cc]
    pv = part[rr, cc]
    ex, ey, d = rot[0], rot[1], -rot[2]
    xv, yv = xs[cc], ys[rr]
    mx = xv * float(ex[0]) + yv * float(ey[0]) + t * float(d[0])
    my = xv * float(ex[1]) + yv * float(ey[1]) + t * float(d[1])
    mz = xv * float(ex[2]) + yv * float(ey[2]) + t * float(d[2])
    m = np.stack([mx, my, mz], axis=1)

    # Normals (model frame) and base albedo per primitive.
    normals = np.empty_like(m)
    albedo = np.empty_like(m)
    kinds = np.array([p.kind for p in prims])
    for k, p in enumerate(prims):
        sel = pv == k
        if not sel.any():
            continue
        loc = ((m[sel] - p.center.astype(np.float32)) @ p.axes.T.astype(np.float32))
        normals[sel] = (loc * (1.0 / p.radii ** 2).astype(np.float32)) @ p.axes.astype(np.float32)
        albedo[sel] = p.color.astype(np.float32)
    normals *= (1.0 / np.sqrt((normals * normals).sum(1) + 1e-12))[:, None]
    inner_v = inner[rr, cc]
    normals[inner_v] *= -1.0

    # Hair painted on the skull, hair texture, then face features on bare skin.
    hair_color = np.asarray(identity['hair_color'], np.float32)
    pk = kinds[pv]
    face = (pk == _SKULL) | (pk == _JAW)
    on_skull = pk == _SKULL
    idx = np.flatnonzero(on_skull)
    hair_px = pk == _HAIR
    if len(idx):
        hr = _hair_region(mx[idx], my[idx], mz[idx], identity)
        albedo[idx[hr]] = hair_color
        hair_px[idx[hr]] = True
    idx = np.flatnonzero(hair_px)
    if len(idx):
        tex = _hair_texture(mx[idx], my[idx], mz[idx], identity).astype(np.float32)
        albedo[idx] *= tex[:, None]
    idx = np.flatnonzero(face & ~hair_px & (mz > 0.0))
    if len(idx):
        sub = albedo[idx]
        _face_features(sub, mx[idx], my[idx], identity, hair_color)
        albedo[idx] = sub
    # Nostrils: darken the underside of the nose near its tip.
    idx = np.flatnonzero(pk == _NOSE)
    if len(idx):
        nl = normals[idx]
        nost = (nl[:, 1] < -0.55) & (np.abs(mx[idx]) > 0.02)
        albedo[idx[nost]] *= 0.45
    # Ears: a darker concha on the outer face.
    for k, p in enumerate(prims):
        if p.kind != _EAR:
            continue
        idx = np.flatnonzero(pv == k)
        if len(idx):
            loc = (m[idx] - p.center.astype(np.float32)) @ p.axes.T.astype(np.float32)
            loc /= p.radii.astype(np.float32)
            out = loc[:, 0] * np.sign(p.center[0]) > 0.3
            concha = out & (loc[:, 1] ** 2 + loc[:, 2] ** 2 < 0.35)
            albedo[idx[concha]] *= 0.75

    # Lambertian shading with ambient, in the model frame.
    lc = np.asarray(light, dtype=np.float64)
    lm = (rot.T @ (lc / (np.linalg.norm(lc) + 1e-12))).astype(np.float32)
    lam = np.maximum(normals @ lm, 0.0)
    shade = ambient + (1.0 - ambient) * lam
    shade[inner_v] *= 0.55
    bgr[rr, cc] = albedo * shade[:, None]
    np.clip(bgr, 0.0, 1.0, out=bgr)
    depth[rr, cc] = -t * ppu
    return HeadLayer(bgr, vis.astype(np.float32), depth, head_mask)


# ---------------------------------------------------------------------------
# Backgrounds, lights and the full crop
# ---------------------------------------------------------------------------
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
    if kind < 0.45:
        c0, c1 = rng.random(3), rng.random(3)
        ang = rng.uniform(0.0, 2.0 * np.pi)
        gx = np.linspace(-0.5, 0.5, w, dtype=np.float32) * np.float32(np.cos(ang))
        gy = np.linspace(-0.5, 0.5, h, dtype=np.float32) * np.float32(np.sin(ang))
        g = (gx[None, :] + gy[:, None] + 0.5)[..., None]
        img = (c0.astype(np.float32) + g * (c1 - c0).astype(np.float32))
    elif kind < 0.8:
        k = int(rng.integers(2, 9))
        small = rng.random((k, k, 3)).astype(np.float32)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    else:
        img = np.empty((h, w, 3), np.float32)
        img[:] = rng.random(3).astype(np.float32)
    img = np.ascontiguousarray(img, dtype=np.float32)
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
        img += rng.normal(0.0, rng.uniform(0.01, 0.05), (h, w, 1)).astype(np.float32)
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
                blur_prob: float = 0.3, noise_prob: float = 0.5,
                ) -> tuple[np.ndarray, np.ndarray]:
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
        background: ``None`` for :func:`random_background`, a BGR colour in [0, 1] or an
            ``(size, size, 3)`` float image in [0, 1] (uint8 images are rescaled).
        light: Light direction in the camera frame; ``None`` draws one.
        ambient: Ambient fraction; ``None`` draws one (with ``light=None``) or uses 0.4.
        jitter: Maximum random offset of the head centre and relative scale change, as
            fractions of the crop side / of ``scale``. 0 disables.
        blur_prob: Probability of a random Gaussian blur.
        noise_prob: Probability of additive Gaussian pixel noise.

    Returns:
        ``(img, bbox)``: ``(size, size, 3)`` uint8 BGR image and ``(4,)`` float32
        ``[x1, y1, x2, y2]`` box of the visible head (neck excluded) in pixels.
    """
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
                              ambient=ambient)
    if background is None:
        bg = random_background(rng, size, size)
    else:
        bg_arr = np.asarray(background)
        scale_bg = 1.0 / 255.0 if bg_arr.dtype == np.uint8 else 1.0
        bg = np.empty((size, size, 3), np.float32)
        bg[:] = bg_arr.astype(np.float32) * scale_bg
    # Per-call colour cast of the light.
    tint = rng.uniform(0.9, 1.1, 3).astype(np.float32)
    img = np.where(layer.alpha[..., None] > 0, layer.bgr * tint, bg)
    if rng.random() < blur_prob:
        sigma = float(rng.uniform(0.3, 1.5)) * size / 128.0
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    if rng.random() < noise_prob:
        std = float(rng.uniform(0.005, 0.04))
        img = img + rng.standard_normal(img.shape, dtype=np.float32) * np.float32(std)
    out = np.clip(img * 255.0 + 0.5, 0.0, 255.0).astype(np.uint8)
    return out, mask_to_bbox(layer.head_mask)
