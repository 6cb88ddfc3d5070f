"""Losses."""

from .mse_loss import MSELoss
from .ranking_loss import PairwiseRankingLoss

__all__ = ['MSELoss', 'PairwiseRankingLoss']
from .box_losses import SigmoidBCELoss, SquaredErrorLoss  # noqa: E402
from .vector_losses import OrthogonalityLoss, VectorMSELoss  # noqa: E402

__all__ += ['OrthogonalityLoss', 'SigmoidBCELoss', 'SquaredErrorLoss', 'VectorMSELoss']
