"""The element-wise losses of YOLOv3's box branch: binary cross-entropy and squared error."""

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from headpose.models.utils.precision import float32_op
from headpose.registry import MODELS


def _reduce(loss: torch.Tensor, weight: Optional[torch.Tensor],
            avg_factor: Optional[float]) -> torch.Tensor:
    if weight is not None:
        loss = loss * weight.to(loss.dtype).expand_as(loss)
    total = loss.sum()
    return total / avg_factor if avg_factor is not None else total


class _WeightedLoss(nn.Module):
    """``loss_weight * sum(weight * l(pred, target)) / avg_factor``."""

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def elementwise(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @float32_op
    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None) -> torch.Tensor:
        """Args:
            pred: predictions, any shape.
            target: targets of ``pred``'s shape.
            weight: per-element weights (e.g. a 0/1 mask), broadcastable to ``pred``.
            avg_factor: the sum is divided by it (e.g. the number of images);
                ``None`` for a plain sum.
        """
        if pred.shape != target.shape:
            raise ValueError(f'{type(self).__name__}: pred {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape')
        return self.loss_weight * _reduce(self.elementwise(pred, target.to(pred)), weight,
                                          avg_factor)


@MODELS.register_module()
class SigmoidBCELoss(_WeightedLoss):
    """Binary cross-entropy on logits, summed with weights (YOLOv3's xy, objectness, class).

    Args:
        loss_weight: the weight of this term in the box loss.
    """

    def elementwise(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(pred, target, reduction='none')


@MODELS.register_module()
class SquaredErrorLoss(_WeightedLoss):
    """Squared error ``(pred - target)^2``, summed with weights (YOLOv3's wh term).

    Args:
        loss_weight: the weight of this term in the box loss.
    """

    def elementwise(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return (pred - target).pow(2)


__all__ = ['SigmoidBCELoss', 'SquaredErrorLoss']
