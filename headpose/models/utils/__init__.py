"""Model utilities that are not registered parts."""

from .compile import compile_model
from .inference_speed import optimize_for_inference, to_channels_last

__all__ = ['compile_model', 'optimize_for_inference', 'to_channels_last']
