"""Task modules: pose codecs, and for detection the anchors, assigner and box coder."""

from .codecs import BasePoseCodec, EulerCodec, RotationVectorCodec
from .yolo import GridAssigner, YOLOAnchorGenerator, YOLOBBoxCoder

__all__ = ['BasePoseCodec', 'EulerCodec', 'GridAssigner', 'RotationVectorCodec',
           'YOLOAnchorGenerator', 'YOLOBBoxCoder']
