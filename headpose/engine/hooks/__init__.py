"""Hooks."""

from .bad_image_hook import BadImageReportHook
from .rng_state_hook import RNGStateHook
from .visualization_hook import HeadPoseVisualizationHook

__all__ = ['BadImageReportHook', 'HeadPoseVisualizationHook', 'RNGStateHook']
