"""The geodesic loss: the angle of the rotation between a prediction and its target."""

import math

import torch
import torch.nn as nn

from headpose.registry import MODELS


@MODELS.register_module()
class GeodesicLoss(nn.Module):
    """``loss_weight * mean_n angle(R_pred,n^T R_gt,n)``, the angle in radians.

    The angle of ``R = R_pred^T R_gt`` is the length of the shortest rotation from
    one pose to the other: a distance on the rotations themselves, with no
    Euler-angle wrap-around. It is computed as
    ``atan2(|R - R^T|_F / (2 sqrt 2), (trace(R) - 1) / 2)`` (sine and cosine of the
    angle) rather than ``arccos((trace(R) - 1) / 2)``: the derivative of arccos is
    infinite at 0 and 180 degrees, whereas the atan2 form is exact there and keeps
    finite gradients without clamping.

    Args:
        loss_weight: the weight of the loss.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Args are (N, 3, 3) predicted and target rotations; returns a scalar (0 for N = 0)."""
        if pred.shape != target.shape or pred.shape[-2:] != (3, 3):
            raise ValueError(f'GeodesicLoss: expected two (N, 3, 3) rotations, got '
                             f'{tuple(pred.shape)} and {tuple(target.shape)}')
        if pred.numel() == 0:
            return pred.sum() * 0.0
        r = pred.transpose(-1, -2) @ target.to(pred)
        cos = (r.diagonal(dim1=-2, dim2=-1).sum(-1) - 1.0) / 2.0
        skew = (r - r.transpose(-1, -2)).flatten(-2)
        sin = torch.linalg.vector_norm(skew, dim=-1) / (2.0 * math.sqrt(2.0))
        return self.loss_weight * torch.atan2(sin, cos).mean()


__all__ = ['GeodesicLoss']
