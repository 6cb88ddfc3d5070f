"""Pose codecs: the representations a pose head regresses (see ``BasePoseCodec``)."""

from .base import BasePoseCodec
from .euler_codec import EulerCodec
from .vector_codec import RotationVectorCodec

__all__ = ['BasePoseCodec', 'EulerCodec', 'RotationVectorCodec']
