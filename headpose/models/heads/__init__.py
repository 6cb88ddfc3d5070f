"""Heads: each owns its loss and its decoding."""

from .aggregation_pose_head import AggregationPoseHead
from .multitask_head import MultiTaskHead
from .rankpose_head import RankPoseHead
from .yolov3_head import YOLOV3Head

__all__ = ['AggregationPoseHead', 'MultiTaskHead', 'RankPoseHead', 'YOLOV3Head']
