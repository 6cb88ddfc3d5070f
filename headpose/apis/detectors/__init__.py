"""Head detectors for the top-down inference path (registered in ``TASK_UTILS``).

They are inference helpers, not models: nothing here is trained.
"""

from .base import BaseHeadDetector, box_iou_np, merge_overlaps, scale_boxes
from .blazeface import BLAZEFACE_INSTALL, BlazeFaceDetector
from .builder import DETECTOR_SPECS, build_detector
from .file import FileBoxDetector
from .haar import HaarCascadeDetector
from .multitask import MultitaskNetDetector

__all__ = ['BLAZEFACE_INSTALL', 'BaseHeadDetector', 'BlazeFaceDetector', 'DETECTOR_SPECS',
           'FileBoxDetector', 'HaarCascadeDetector',
           'MultitaskNetDetector', 'box_iou_np', 'build_detector', 'merge_overlaps',
           'scale_boxes']
