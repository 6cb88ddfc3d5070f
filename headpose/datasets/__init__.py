"""Dataset types, the pair wrapper and the data transforms."""

from .base import BaseHeadPoseDataset, ImageReadError
from .pair_dataset import PairDataset
from .synthheads import SynthHeadsDataset
from .transforms import *  # noqa: F401,F403

__all__ = ['BaseHeadPoseDataset', 'ImageReadError', 'PairDataset', 'SynthHeadsDataset']
