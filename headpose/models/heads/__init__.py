"""Heads: each owns its loss and its decoding."""

from .rankpose_head import RankPoseHead

__all__ = ['RankPoseHead']
from .aggregation_pose_head import AggregationPoseHead  # noqa: E402
from .yolov3_head import YOLOV3Head  # noqa: E402

__all__ += ['AggregationPoseHead', 'YOLOV3Head']
