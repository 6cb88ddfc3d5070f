"""Data transforms; importing mmcv.transforms makes mmcv's transforms resolvable too."""

import mmcv.transforms  # noqa: F401

from .detection import FilterHeads, LetterBox, PhotoMetricDistortion, RandomAffine
from .formatting import PackHeadPoseInputs
from .geometric import CropHead, RandomFlip
from .loading import LoadImage
from .photometric import GaussianBlur, GaussianNoise, JPEGCompression, RandomGrayscale

__all__ = ['CropHead', 'FilterHeads', 'GaussianBlur', 'GaussianNoise', 'JPEGCompression',
           'LetterBox', 'LoadImage', 'PackHeadPoseInputs', 'PhotoMetricDistortion',
           'RandomAffine', 'RandomFlip', 'RandomGrayscale']
