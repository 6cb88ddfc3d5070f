"""Head detectors for the top-down inference path (registered in ``TASK_UTILS``)."""

from .base import BaseHeadDetector, box_iou_np, merge_overlaps, scale_boxes
from .file import FileBoxDetector
from .haar import HaarCascadeDetector
from .multitask import MultitaskNetDetector

__all__ = ['BaseHeadDetector', 'FileBoxDetector', 'HaarCascadeDetector',
           'MultitaskNetDetector', 'box_iou_np', 'merge_overlaps', 'scale_boxes']
