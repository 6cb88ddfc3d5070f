"""Dataset types, the pair wrapper and the data transforms."""

from .aflw2000 import AFLW2000Dataset
from .aflw_crops import AFLWCropsDataset
from .ann_cache import PoseTable
from .base import BaseHeadPoseDataset, ImageReadError
from .biwi import BIWIDataset, BIWINpzDataset
from .biwi_split import BIWI_70_30_TEST, BIWI_70_30_TRAIN
from .coco_headpose import CocoHeadPoseDataset
from .coco_topdown import TopDownCocoDataset
from .pair_dataset import PairDataset
from .synthheads import SynthHeadsDataset, SynthHeadsScenesDataset
from .transforms import *  # noqa: F401,F403
from .w300lp import W300LP_SUBSETS, W300LPDataset

__all__ = ['AFLW2000Dataset', 'AFLWCropsDataset', 'BIWIDataset', 'BIWINpzDataset',
           'BIWI_70_30_TEST', 'BIWI_70_30_TRAIN', 'BaseHeadPoseDataset', 'CocoHeadPoseDataset',
           'ImageReadError', 'PairDataset', 'PoseTable', 'SynthHeadsDataset',
           'SynthHeadsScenesDataset', 'TopDownCocoDataset', 'W300LPDataset', 'W300LP_SUBSETS']
