"""Multitask-Net's losses for the vector pose: per-vector MSE (eq. 2) and orthogonality (eq. 3)."""

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
    """The sum over the three basis vectors of their mean squared error.

    With ``v_k`` the k-th column of the ground-truth rotation and ``v'_k`` its
    prediction (both 3-vectors, laid out as ``RotationVectorCodec`` encodes them),
    ``L = sum_k mean_n ||v'_k,n - v_k,n||^2 / 3``: for each vector the MSE over the N
    heads and its 3 coordinates, summed over the 3 vectors. Each vector weighs the
    same whatever the others do, so a wrong facing direction (z) is not hidden by
    right x and y. With ``avg_factor``, the per-head terms are summed and divided by
    it instead of averaged (e.g. per image, as the box losses are).

    Args:
        loss_weight: the weight.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

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
        per_head = (p - t).pow(2).mean(dim=2).sum(dim=1)  # sum over vectors of their MSE
        return self.loss_weight * _average(per_head, avg_factor)


@MODELS.register_module()
class OrthogonalityLoss(nn.Module):
    """Penalises predicted basis vectors that are not mutually orthogonal.

    ``L = mean_n [(v'_1 . v'_2)^2 + (v'_2 . v'_3)^2 + (v'_3 . v'_1)^2]``: zero exactly
    when the three predicted vectors are pairwise orthogonal (their norms are left to
    :class:`VectorMSELoss`). With ``avg_factor``, summed over heads and divided by it.

    Args:
        loss_weight: the weight.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    @float32_op
    def forward(self, pred: torch.Tensor, avg_factor: Optional[float] = None) -> torch.Tensor:
        """``pred`` is (N, 9) predicted vectors; returns a scalar (0 for N = 0)."""
        p = _vectors(pred, 'OrthogonalityLoss')
        if len(p) == 0:
            return pred.sum() * 0.0
        v1, v2, v3 = p[:, 0], p[:, 1], p[:, 2]
        dots = torch.stack([(v1 * v2).sum(-1), (v2 * v3).sum(-1), (v3 * v1).sum(-1)], -1)
        return self.loss_weight * _average(dots.pow(2).sum(-1), avg_factor)


def _average(per_head: torch.Tensor, avg_factor: Optional[float]) -> torch.Tensor:
    return per_head.mean() if avg_factor is None else per_head.sum() / avg_factor


__all__ = ['OrthogonalityLoss', 'VectorMSELoss']
