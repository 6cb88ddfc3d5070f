"""Losses."""

from .box_losses import SigmoidBCELoss, SquaredErrorLoss
from .mse_loss import MSELoss
from .ranking_loss import PairwiseRankingLoss
from .vector_losses import OrthogonalityLoss, VectorMSELoss

__all__ = ['MSELoss', 'OrthogonalityLoss', 'PairwiseRankingLoss', 'SigmoidBCELoss',
           'SquaredErrorLoss', 'VectorMSELoss']
