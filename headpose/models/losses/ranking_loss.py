"""The pairwise ranking loss of RankPose (equations 5 and 6)."""

import torch
import torch.nn as nn

from headpose.models.utils.precision import float32_op
from headpose.registry import MODELS


@MODELS.register_module()
class PairwiseRankingLoss(nn.Module):
    """Penalises a predicted order of a pair that disagrees with the true order.

    For a pair (a, b) of images of one person and each angle k,
    ``l_k = max(0, -sign(t_a,k - t_b,k) * (p_a,k - p_b,k))`` (sign(0) = 0, so equal
    labels cost nothing); the loss is ``loss_weight`` times the mean over the N pairs
    of ``sum_k l_k``.

    Args:
        loss_weight: the weight (RankPose's 1 - beta).
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    @float32_op
    def forward(self, pred_a: torch.Tensor, pred_b: torch.Tensor, target_a: torch.Tensor,
                target_b: torch.Tensor) -> torch.Tensor:
        """Args are (N, 3) predictions and labels of the first and second images of N pairs."""
        if not (pred_a.shape == pred_b.shape == target_a.shape == target_b.shape):
            raise ValueError('PairwiseRankingLoss: all four inputs must have one shape, got '
                             f'{[tuple(t.shape) for t in (pred_a, pred_b, target_a, target_b)]}')
        if pred_a.numel() == 0:
            return pred_a.sum() * 0.0
        order = torch.sign(target_a - target_b)
        hinge = torch.relu(-order * (pred_a - pred_b))  # zero gradient at a tie
        return self.loss_weight * hinge.sum(dim=-1).mean()
