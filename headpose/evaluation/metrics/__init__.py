"""Metrics."""

from .dump_results import DumpHeadPoseResults
from .mae_metric import HeadPoseMAE

__all__ = ['DumpHeadPoseResults', 'HeadPoseMAE']
from .coco_headpose_metric import CocoHeadPoseMetric  # noqa: E402

__all__ += ['CocoHeadPoseMetric']
