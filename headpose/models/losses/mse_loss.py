"""The mean squared error of RankPose's equation 4."""

from typing import Optional

import torch
import torch.nn as nn

from headpose.models.utils.precision import float32_op
from headpose.registry import MODELS

REDUCTIONS = ('sum', 'mean')


@MODELS.register_module()
class MSELoss(nn.Module):
    """RankPose's MSE term (Dai et al., BMVC 2020, eq. 4), weighted by beta (eq. 7).

    Eq. 4 over a mini-batch of N training samples, each a pair of images of one person::

        L_MSE = 1/N * sum_i (||Yt_i1 - Y_i1||^2 + ||Yt_i2 - Y_i2||^2)

    with ``||.||^2`` the squared L2 norm over (yaw, pitch, roll). ``RankPoseHead``
    passes the 2N images as rows (the N first images, then their N partners), so with
    ``reduction='sum'`` (the default, the equation) the loss is the sum of the squared
    errors over all rows and angles divided by ``N = rows / images_per_sample``.

    ``reduction='mean'`` is the mean over all ``rows x angles`` numbers, i.e. eq. 4
    divided by ``images_per_sample x angles`` (1/6 of it for pairs of Euler angles):
    headpose's loss before it followed the equation, kept for comparison.

    Partial labels: with ``weight`` (the targets' weights, 0 for an unknown angle) each
    squared error is multiplied by its weight before the reduction; the divisor stays
    the number of training samples (``'sum'``) or of numbers (``'mean'``), so that a
    sample's known angles weigh what they weigh in a fully labelled one.

    Args:
        loss_weight: the weight: beta of eq. 7 (0.5 in the paper), 1 for MSE alone.
        reduction: ``'sum'`` (eq. 4) or ``'mean'``.
        images_per_sample: images in one training sample: 2 for the pairs of eq. 4 (every
            RankPose config draws pairs, also the MSE-only ones), 1 for single images.
    """

    def __init__(self, loss_weight: float = 1.0, reduction: str = 'sum',
                 images_per_sample: int = 2):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f'MSELoss: reduction must be one of {REDUCTIONS}, '
                             f'got {reduction!r}')
        if images_per_sample < 1:
            raise ValueError(f'MSELoss: images_per_sample must be >= 1, got {images_per_sample}')
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.images_per_sample = images_per_sample

    @float32_op
    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args are (M, K) predictions, targets and optional target weights of M images;
        returns a scalar."""
        if pred.shape != target.shape or (weight is not None and weight.shape != pred.shape):
            raise ValueError(f'MSELoss: pred {tuple(pred.shape)}, target '
                             f'{tuple(target.shape)} and weight '
                             f'{None if weight is None else tuple(weight.shape)} must have one '
                             'shape')
        if pred.numel() == 0:
            return pred.sum() * 0.0
        squares = (pred - target).pow(2)
        if weight is not None:
            squares = squares * weight
        if self.reduction == 'mean':
            return self.loss_weight * squares.mean()
        rows = pred.shape[0]
        if rows % self.images_per_sample:
            raise ValueError(f'MSELoss: {rows} rows are not whole training samples of '
                             f'images_per_sample={self.images_per_sample} images')
        return self.loss_weight * squares.sum() / (rows // self.images_per_sample)
