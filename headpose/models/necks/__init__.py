"""Necks."""

from .gap import GlobalAveragePooling
from .yolov3_neck import YOLOV3Neck

__all__ = ['GlobalAveragePooling', 'YOLOV3Neck']
