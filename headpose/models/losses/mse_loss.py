"""The mean squared error of RankPose's equation 4."""

import torch
import torch.nn as nn

from headpose.models.utils.precision import float32_op
from headpose.registry import MODELS


@MODELS.register_module()
class MSELoss(nn.Module):
    """``loss_weight * mean((pred - target)^2)`` over all samples and angles.

    Args:
        loss_weight: the weight (RankPose's beta for the MSE term).
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    @float32_op
    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if pred.shape != target.shape:
            raise ValueError(f'MSELoss: pred {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape')
        if pred.numel() == 0:
            return pred.sum() * 0.0
        return self.loss_weight * (pred - target).pow(2).mean()
