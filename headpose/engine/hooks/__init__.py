"""Hooks."""

from .bad_image_hook import BadImageReportHook
from .compile_hook import CompileHook
from .inference_speed_hook import InferenceSpeedHook
from .phase_hook import TrainingPhaseHook
from .rng_state_hook import RNGStateHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .visualization_hook import HeadPoseVisualizationHook

__all__ = ['BadImageReportHook', 'CompileHook', 'HeadPoseVisualizationHook',
           'InferenceSpeedHook', 'RNGStateHook', 'SafeCheckpointHook', 'TrainingPhaseHook']
