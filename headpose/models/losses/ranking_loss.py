"""The pairwise ranking loss of RankPose (equations 5 and 6)."""

from typing import Optional

import torch
import torch.nn as nn

from headpose.models.utils.precision import float32_op
from headpose.registry import MODELS


@MODELS.register_module()
class PairwiseRankingLoss(nn.Module):
    """RankPose's pairwise ranking loss (Dai et al., BMVC 2020, eq. 5 and 6).

    Eq. 5, with ``Yt`` the labels, ``Y`` the predictions, N pairs (i1, i2) of images of
    one person and d over (yaw, pitch, roll)::

        L_ranking = 1/N * sum_i sum_d max{0, -sgn(Yt_i2 - Yt_i1) * (Y_i2 - Y_i1)}^d

    i.e. per angle (eq. 6) the amount by which the predicted order of the pair goes
    against the true order. Eq. 5's ``sgn(0) = 0`` settles the tie that eq. 6 leaves
    open: equal labels cost nothing. Here ``a`` is image i1 and ``b`` image i2; the
    code's ``-sign(t_a - t_b) * (p_a - p_b)`` is the same product.

    Partial labels: ``weight_a`` and ``weight_b`` (the two images' target weights, 0 for
    an unknown angle) weigh each angle's hinge by their product, so a pair is ranked
    only along the angles that both images know.

    Args:
        loss_weight: the weight: 1 - beta of eq. 7 (0.5 in the paper).
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    @float32_op
    def forward(self, pred_a: torch.Tensor, pred_b: torch.Tensor, target_a: torch.Tensor,
                target_b: torch.Tensor, weight_a: Optional[torch.Tensor] = None,
                weight_b: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args are (N, 3) predictions, labels and optional label weights of the first and
        second images of N pairs."""
        if not (pred_a.shape == pred_b.shape == target_a.shape == target_b.shape):
            raise ValueError('PairwiseRankingLoss: all four inputs must have one shape, got '
                             f'{[tuple(t.shape) for t in (pred_a, pred_b, target_a, target_b)]}')
        if pred_a.numel() == 0:
            return pred_a.sum() * 0.0
        order = torch.sign(target_a - target_b)
        hinge = torch.relu(-order * (pred_a - pred_b))  # zero gradient at a tie
        for weight in (weight_a, weight_b):
            if weight is not None:
                if weight.shape != hinge.shape:
                    raise ValueError(f'PairwiseRankingLoss: weights must have the shape of the '
                                     f'predictions {tuple(hinge.shape)}, got '
                                     f'{tuple(weight.shape)}')
                hinge = hinge * weight
        return self.loss_weight * hinge.sum(dim=-1).mean()
