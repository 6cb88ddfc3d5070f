"""The head-detector interface of the top-down inference path, and box merging."""

from typing import Optional

import numpy as np


class BaseHeadDetector:
    """Finds head boxes in an image, for :func:`headpose.apis.inference_topdown`.

    A detector is called on one BGR uint8 image (and, when known, the file it came
    from) and returns an ``(K, 5)`` float32 array of ``[x1, y1, x2, y2, score]`` rows
    in the image's pixels, best first. ``K = 0`` means no head was found.

    Detectors are registered in the ``TASK_UTILS`` registry (not ``MODELS``): they are
    inference-time helpers with nothing to train, built from a dict such as
    ``dict(type='HaarCascadeDetector')``; see :func:`headpose.apis.build_detector`.
    """

    def detect(self, img: np.ndarray, img_path: Optional[str] = None) -> np.ndarray:
        """Returns ``(K, 5)`` boxes and scores; see the class docstring."""
        raise NotImplementedError

    def __call__(self, img: np.ndarray, img_path: Optional[str] = None) -> np.ndarray:
        boxes = np.asarray(self.detect(img, img_path), dtype=np.float32).reshape(-1, 5)
        return boxes[np.argsort(-boxes[:, 4], kind='stable')]


def box_iou_np(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of ``(N, 4)`` and ``(M, 4)`` xyxy boxes -> ``(N, M)``."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    area = lambda x: np.clip(x[:, 2] - x[:, 0], 0, None) * np.clip(x[:, 3] - x[:, 1], 0, None)
    union = area(a)[:, None] + area(b)[None, :] - inter
    return inter / np.maximum(union, 1e-9)


def merge_overlaps(boxes: np.ndarray, iou_thr: float = 0.3) -> np.ndarray:
    """Merges overlapping detections of one head into one box.

    Greedy clustering by score: the best remaining box and every remaining box
    overlapping it by more than ``iou_thr`` form a cluster, replaced by their
    score-weighted mean box with the cluster's best score.

    Args:
        boxes: ``(N, 5)`` rows ``[x1, y1, x2, y2, score]``.
        iou_thr: overlap above which two boxes are one head.

    Returns:
        ``(K, 5)`` merged boxes, best first.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 5)
    order = np.argsort(-boxes[:, 4], kind='stable')
    boxes = boxes[order]
    left = np.ones(len(boxes), dtype=bool)
    merged = []
    for i in range(len(boxes)):
        if not left[i]:
            continue
        iou = box_iou_np(boxes[i:i + 1, :4], boxes[:, :4])[0]
        members = left & ((iou > iou_thr) | (np.arange(len(boxes)) == i))
        left &= ~members
        group = boxes[members]
        weights = np.maximum(group[:, 4], 1e-6)
        box = (group[:, :4] * weights[:, None]).sum(0) / weights.sum()
        merged.append(np.append(box, group[:, 4].max()))
    return np.asarray(merged, dtype=np.float32).reshape(-1, 5)


def scale_boxes(boxes: np.ndarray, scale: float, shift_y: float = 0.0) -> np.ndarray:
    """Scales xyxy boxes about their centres and moves them by ``shift_y`` of their height.

    Args:
        boxes: ``(N, 4+)`` boxes; columns after the fourth are kept.
        scale: factor on width and height.
        shift_y: vertical shift of the centre, relative to the (unscaled) height;
            negative is up.

    Returns:
        The scaled boxes, same shape.
    """
    out = np.array(boxes, dtype=np.float32, copy=True).reshape(-1, boxes.shape[-1])
    cx, cy = (out[:, 0] + out[:, 2]) / 2, (out[:, 1] + out[:, 3]) / 2
    w, h = out[:, 2] - out[:, 0], out[:, 3] - out[:, 1]
    cy = cy + shift_y * h
    out[:, 0], out[:, 2] = cx - w * scale / 2, cx + w * scale / 2
    out[:, 1], out[:, 3] = cy - h * scale / 2, cy + h * scale / 2
    return out


__all__ = ['BaseHeadDetector', 'box_iou_np', 'merge_overlaps', 'scale_boxes']
