"""Task modules: pose codecs (and, for detection, anchors and assigners)."""

from .codecs import EulerCodec

__all__ = ['EulerCodec']
