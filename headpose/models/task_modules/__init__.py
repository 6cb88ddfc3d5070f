"""Task modules: pose codecs, and for detection the anchors, assigner and box coder."""

from .codecs import BasePoseCodec, EulerCodec, HeadMotionCodec, RotationVectorCodec
from .yolo import GridAssigner, YOLOAnchorGenerator, YOLOBBoxCoder

__all__ = ['BasePoseCodec', 'EulerCodec', 'GridAssigner', 'HeadMotionCodec',
           'RotationVectorCodec', 'YOLOAnchorGenerator', 'YOLOBBoxCoder']
