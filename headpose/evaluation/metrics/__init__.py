"""Metrics."""

from .dump_results import DumpHeadPoseResults
from .mae_metric import HeadPoseMAE

__all__ = ['DumpHeadPoseResults', 'HeadPoseMAE']
