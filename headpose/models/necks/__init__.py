"""Necks."""

from .gap import GlobalAveragePooling

__all__ = ['GlobalAveragePooling']
from .yolov3_neck import YOLOV3Neck  # noqa: E402

__all__ += ['YOLOV3Neck']
