"""Rigid shape fitting: the similarity transform that best maps one point set onto another."""

from typing import NamedTuple, Optional

import numpy as np


class SimilarityFit(NamedTuple):
    """``dst ~ scale * src @ rotation.T + translation``, and how well it fits."""

    rotation: np.ndarray
    scale: float
    translation: np.ndarray
    rms: float


def fit_similarity(src: np.ndarray, dst: np.ndarray,
                   weights: Optional[np.ndarray] = None) -> SimilarityFit:
    """The least-squares similarity transform from ``src`` to ``dst`` (Umeyama, 1991).

    Minimises ``sum_i w_i |dst_i - (s R src_i + t)|^2`` over rotations ``R`` (det +1),
    scales ``s > 0`` and translations ``t``: the cross-covariance of the centred point
    sets is decomposed by SVD, its last singular vector's sign fixed so that ``R`` is a
    rotation and not a reflection.

    Args:
        src: ``(N, 3)`` model points, e.g. a canonical face.
        dst: ``(N, 3)`` observed points in the same order.
        weights: ``(N, )`` non-negative point weights, ``None`` for equal ones.

    Returns:
        the fit; ``rms`` is the root-mean-square distance left, in ``src`` units (the
        residual divided by the scale), so that it does not depend on the image size.

    Raises:
        ValueError: if the shapes differ, fewer than 3 points are given, or the points
            are degenerate (all equal).
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 3 or len(src) < 3:
        raise ValueError(f'fit_similarity: expected two (N, 3) point sets with N >= 3, got '
                         f'{src.shape} and {dst.shape}')
    w = np.ones(len(src)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(src), ) or np.any(w < 0) or not w.sum() > 0:
        raise ValueError(f'fit_similarity: weights must be {len(src)} numbers >= 0, not all 0')
    w = w / w.sum()
    src_mean, dst_mean = w @ src, w @ dst
    a, b = src - src_mean, dst - dst_mean
    var = float(w @ (a * a).sum(1))
    if var <= 0:
        raise ValueError('fit_similarity: the model points are all equal')
    u, sing, vt = np.linalg.svd((b * w[:, None]).T @ a)
    fix = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    rotation = u @ fix @ vt
    scale = float(np.trace(np.diag(sing) @ fix) / var)
    translation = dst_mean - scale * rotation @ src_mean
    resid = dst - (scale * a @ rotation.T + dst_mean)
    rms = float(np.sqrt(w @ (resid * resid).sum(1))) / max(scale, 1e-12)
    return SimilarityFit(rotation, scale, translation, rms)


__all__ = ['SimilarityFit', 'fit_similarity']
