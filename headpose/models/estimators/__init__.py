"""Estimators: they route inputs through the parts; heads own losses and decoding."""

from .base import BasePoseEstimator, has_trained_weights
from .facemesh import FaceMeshPoseEstimator
from .multitask_net import MultiTaskNet
from .top_down import TopDownPoseEstimator

__all__ = ['BasePoseEstimator', 'FaceMeshPoseEstimator', 'MultiTaskNet', 'TopDownPoseEstimator',
           'has_trained_weights']
