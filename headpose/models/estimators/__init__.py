"""Estimators: they route inputs through the parts; heads own losses and decoding."""

from .top_down import TopDownPoseEstimator

__all__ = ['TopDownPoseEstimator']
