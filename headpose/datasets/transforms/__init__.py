"""Data transforms; importing mmcv.transforms makes mmcv's transforms resolvable too."""

import mmcv.transforms  # noqa: F401

from .formatting import PackHeadPoseInputs
from .geometric import CropHead, RandomFlip
from .loading import LoadImage
from .photometric import GaussianBlur, GaussianNoise

__all__ = ['CropHead', 'GaussianBlur', 'GaussianNoise', 'LoadImage', 'PackHeadPoseInputs',
           'RandomFlip']
from .detection import FilterHeads, LetterBox, PhotoMetricDistortion, RandomAffine  # noqa: E402

__all__ += ['FilterHeads', 'LetterBox', 'PhotoMetricDistortion', 'RandomAffine']
