"""Task modules: pose codecs (and, for detection, anchors and assigners)."""

from .codecs import EulerCodec

__all__ = ['EulerCodec']
from .vector_codec import RotationVectorCodec  # noqa: E402
from .yolo import GridAssigner, YOLOAnchorGenerator, YOLOBBoxCoder  # noqa: E402

__all__ += ['GridAssigner', 'RotationVectorCodec', 'YOLOAnchorGenerator', 'YOLOBBoxCoder']
