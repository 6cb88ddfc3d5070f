"""Estimators: they route inputs through the parts; heads own losses and decoding."""

from .top_down import TopDownPoseEstimator

__all__ = ['TopDownPoseEstimator']
from .multitask_net import MultiTaskNet  # noqa: E402

__all__ += ['MultiTaskNet']
