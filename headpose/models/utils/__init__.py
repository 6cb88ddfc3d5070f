"""Model utilities that are not registered parts."""

from .compile import compile_model
from .inference_speed import optimize_for_inference, to_channels_last
from .precision import float32_op, to_float32

__all__ = ['compile_model', 'float32_op', 'optimize_for_inference', 'to_channels_last',
           'to_float32']
