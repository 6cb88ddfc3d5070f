"""Multitask-Net's losses for the vector pose: vector MSE (eq. 2) and orthogonality (eq. 3)."""

from typing import Optional

import torch
import torch.nn as nn

from headpose.models.utils.precision import float32_op
from headpose.registry import MODELS


def _vectors(x: torch.Tensor, name: str) -> torch.Tensor:
    """(N, 9) -> (N, 3, 3) with ``[:, k, :]`` the k-th vector (R's k-th column)."""
    if x.shape[-1] != 9:
        raise ValueError(f'{name}: expected (N, 9) vectors, got {tuple(x.shape)}')
    return x.reshape(-1, 3, 3)


@MODELS.register_module()
class VectorMSELoss(nn.Module):
    """Multitask-Net's vector loss (Nguyen Viet et al., 2021, eq. 2, summed as in eq. 4).

    With ``v_k`` the k-th column of the ground-truth rotation and ``v'_k`` its
    prediction (3-vectors, laid out as ``RotationVectorCodec`` encodes them), eq. 2 is
    ``L_vmse(v', v) = sum_i (v'^i - v^i)^2`` over the vector's coordinates i and eq. 4
    adds it over the three vectors, so a head's term is ``sum_k ||v'_k - v_k||^2``. The
    loss is its mean over the N heads, or with ``avg_factor`` the sum over heads divided
    by it (e.g. per image, as the box losses are). Each vector weighs the same whatever
    the others do, so a wrong facing direction (z) is not hidden by right x and y.

    Args:
        loss_weight: the weight.
        coordinates: ``'sum'`` over a vector's coordinates (eq. 2, the default) or
            ``'mean'`` (1/3 of eq. 2: headpose's loss before it followed the equation).
    """

    def __init__(self, loss_weight: float = 1.0, coordinates: str = 'sum'):
        super().__init__()
        if coordinates not in ('sum', 'mean'):
            raise ValueError(f"VectorMSELoss: coordinates must be 'sum' or 'mean', "
                             f'got {coordinates!r}')
        self.loss_weight = loss_weight
        self.coordinates = coordinates

    @float32_op
    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                avg_factor: Optional[float] = None) -> torch.Tensor:
        """Args are (N, 9) predicted and target vectors; returns a scalar (0 for N = 0)."""
        if pred.shape != target.shape:
            raise ValueError(f'VectorMSELoss: pred {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape')
        p, t = _vectors(pred, 'VectorMSELoss'), _vectors(target.to(pred), 'VectorMSELoss')
        if len(p) == 0:
            return pred.sum() * 0.0
        squares = (p - t).pow(2)
        per_vector = squares.sum(dim=2) if self.coordinates == 'sum' else squares.mean(dim=2)
        return self.loss_weight * _average(per_vector.sum(dim=1), avg_factor)


@MODELS.register_module()
class OrthogonalityLoss(nn.Module):
    """Multitask-Net's orthogonality loss (Nguyen Viet et al., 2021, eq. 3).

    Eq. 3 is ``L_ortho = sum_{i != j} L_mse(v'^i . v'^j, 0)`` over the ordered pairs of
    predicted vectors, so each unordered pair counts twice::

        per head: 2 * [(v'_1 . v'_2)^2 + (v'_2 . v'_3)^2 + (v'_3 . v'_1)^2]

    zero exactly when the three predicted vectors are pairwise orthogonal (their norms
    are left to :class:`VectorMSELoss`). The loss is the mean over heads, or with
    ``avg_factor`` the sum over heads divided by it.

    Args:
        loss_weight: the weight.
        pairs: ``'ordered'`` (all i != j: eq. 3, the default) or ``'unordered'`` (the 3
            pairs i < j: half of eq. 3, headpose's loss before it followed the equation).
    """

    def __init__(self, loss_weight: float = 1.0, pairs: str = 'ordered'):
        super().__init__()
        if pairs not in ('ordered', 'unordered'):
            raise ValueError(f"OrthogonalityLoss: pairs must be 'ordered' or 'unordered', "
                             f'got {pairs!r}')
        self.loss_weight = loss_weight
        self.pairs = pairs

    @float32_op
    def forward(self, pred: torch.Tensor, avg_factor: Optional[float] = None) -> torch.Tensor:
        """``pred`` is (N, 9) predicted vectors; returns a scalar (0 for N = 0)."""
        p = _vectors(pred, 'OrthogonalityLoss')
        if len(p) == 0:
            return pred.sum() * 0.0
        v1, v2, v3 = p[:, 0], p[:, 1], p[:, 2]
        dots = torch.stack([(v1 * v2).sum(-1), (v2 * v3).sum(-1), (v3 * v1).sum(-1)], -1)
        per_head = dots.pow(2).sum(-1) * (2.0 if self.pairs == 'ordered' else 1.0)
        return self.loss_weight * _average(per_head, avg_factor)


def _average(per_head: torch.Tensor, avg_factor: Optional[float]) -> torch.Tensor:
    return per_head.mean() if avg_factor is None else per_head.sum() / avg_factor


__all__ = ['OrthogonalityLoss', 'VectorMSELoss']
