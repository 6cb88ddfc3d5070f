"""Metrics."""

from .coco_headpose_metric import CocoHeadPoseMetric
from .dump_results import DumpHeadPoseResults
from .mae_metric import HeadPoseMAE

__all__ = ['CocoHeadPoseMetric', 'DumpHeadPoseResults', 'HeadPoseMAE']
