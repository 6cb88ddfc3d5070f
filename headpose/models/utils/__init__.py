"""Model utilities that are not registered parts."""

from .inference_speed import optimize_for_inference, to_channels_last

__all__ = ['optimize_for_inference', 'to_channels_last']
