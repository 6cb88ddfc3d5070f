"""OpenCV's frontal and profile Haar cascades as an offline head detector."""

import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np

from headpose.registry import TASK_UTILS

from .base import BaseHeadDetector, merge_overlaps, scale_boxes

FRONTAL_CASCADE = 'haarcascade_frontalface_default.xml'
PROFILE_CASCADE = 'haarcascade_profileface.xml'


def _cascade(name: str) -> cv2.CascadeClassifier:
    """Loads a cascade from ``cv2.data.haarcascades`` (or a path); errors name the file."""
    path = name
    if not osp.isfile(path):
        folder = getattr(getattr(cv2, 'data', None), 'haarcascades', None)
        if folder is None:
            raise RuntimeError(
                'HaarCascadeDetector: this OpenCV ships no Haar cascades (cv2.data.haarcascades '
                'is missing; opencv-python 5 dropped them). Install opencv-python<5 or pass '
                'cascade file paths.')
        path = osp.join(folder, name)
    if not osp.isfile(path):
        raise FileNotFoundError(f'HaarCascadeDetector: cascade file not found: {path}')
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f'HaarCascadeDetector: cannot load the cascade {path}')
    return cascade


@TASK_UTILS.register_module()
class HaarCascadeDetector(BaseHeadDetector):
    """Faces found by OpenCV's Haar cascades, turned into head boxes; no download needed.

    The frontal cascade runs on the image; the profile cascade, which only knows faces
    turned one way, runs on the image and on its mirror image (boxes mapped back), so
    both profiles are found. Overlapping detections of all three runs are merged
    (:func:`merge_overlaps`). A Haar box covers the face from brow to chin; it is
    scaled by ``box_scale`` (1.2: about the head box of the AFLW2000 protocol, the
    landmark box scaled by 1.2) to give the head box the top-down models are trained on.

    Scores are ``sigmoid(level weight)`` of OpenCV's ``detectMultiScale3``: monotone in
    the cascade's confidence, not calibrated probabilities.

    Args:
        scale_factor: the image pyramid's step.
        min_neighbors: detections a face needs in its neighbourhood to be kept.
        min_size: smallest face (w, h) in pixels.
        use_profile: also run the profile cascade (and on the mirrored image).
        iou_thr: overlap above which detections are merged into one.
        box_scale: factor from the face box to the head box.
        score_thr: drop merged boxes with a lower score.
        frontal_cascade: file name in ``cv2.data.haarcascades`` or a path.
        profile_cascade: file name in ``cv2.data.haarcascades`` or a path.
    """

    def __init__(self, scale_factor: float = 1.1, min_neighbors: int = 5,
                 min_size: Sequence[int] = (24, 24), use_profile: bool = True,
                 iou_thr: float = 0.3, box_scale: float = 1.2, score_thr: float = 0.0,
                 frontal_cascade: str = FRONTAL_CASCADE,
                 profile_cascade: str = PROFILE_CASCADE):
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_size = (int(min_size[0]), int(min_size[1]))
        self.use_profile = use_profile
        self.iou_thr = iou_thr
        self.box_scale = box_scale
        self.score_thr = score_thr
        self.frontal = _cascade(frontal_cascade)
        self.profile = _cascade(profile_cascade) if use_profile else None

    def _run(self, cascade: cv2.CascadeClassifier, gray: np.ndarray) -> np.ndarray:
        rects, _, weights = cascade.detectMultiScale3(
            gray, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
            minSize=self.min_size, outputRejectLevels=True)
        rects = np.asarray(rects, dtype=np.float32).reshape(-1, 4)
        weights = np.asarray(weights, dtype=np.float32).reshape(-1)
        if len(rects) == 0:
            return np.zeros((0, 5), np.float32)
        boxes = np.concatenate([rects[:, :2], rects[:, :2] + rects[:, 2:]], axis=1)
        scores = 1.0 / (1.0 + np.exp(-weights))
        return np.concatenate([boxes, scores[:, None]], axis=1)

    def detect(self, img: np.ndarray, img_path: Optional[str] = None) -> np.ndarray:
        """Boxes ``(K, 5)`` of the heads in a BGR (or grayscale) uint8 image."""
        gray = img if img.ndim == 2 else cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2GRAY)
        gray = cv2.equalizeHist(np.ascontiguousarray(gray))
        found = [self._run(self.frontal, gray)]
        if self.profile is not None:
            found.append(self._run(self.profile, gray))
            mirrored = self._run(self.profile, np.ascontiguousarray(gray[:, ::-1]))
            w = gray.shape[1]
            mirrored[:, [0, 2]] = w - mirrored[:, [2, 0]]
            found.append(mirrored)
        boxes = merge_overlaps(np.concatenate(found), self.iou_thr)
        boxes = boxes[boxes[:, 4] >= self.score_thr]
        return scale_boxes(boxes, self.box_scale)


__all__ = ['HaarCascadeDetector']
