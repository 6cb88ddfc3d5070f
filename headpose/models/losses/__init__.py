"""Losses."""

from .mse_loss import MSELoss
from .ranking_loss import PairwiseRankingLoss

__all__ = ['MSELoss', 'PairwiseRankingLoss']
