"""Pose codecs: the representations a pose head regresses (see ``BasePoseCodec``)."""

from .base import BasePoseCodec
from .combined_codec import CombinedCodec
from .euler_codec import EulerCodec
from .head_motion_codec import HeadMotionCodec
from .vector_codec import RotationVectorCodec

__all__ = ['BasePoseCodec', 'CombinedCodec', 'EulerCodec', 'HeadMotionCodec', 'RotationVectorCodec']
