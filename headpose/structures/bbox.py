"""Box operations in plain torch: IoU, clipping, undoing a letterbox, batched NMS."""

import numpy as np
import torch


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """Areas of ``(..., 4)`` xyxy boxes (0 for degenerate boxes)."""
    return (boxes[..., 2] - boxes[..., 0]).clamp(min=0) * (boxes[..., 3] - boxes[..., 1]).clamp(
        min=0)


def box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float = 1e-9) -> torch.Tensor:
    """Pairwise intersection over union of two sets of xyxy boxes.

    Args:
        boxes1: ``(N, 4)`` boxes.
        boxes2: ``(M, 4)`` boxes.
        eps: the smallest union, to avoid dividing by zero for degenerate boxes.

    Returns:
        ``(N, M)`` IoU matrix.
    """
    lt = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - inter
    return inter / union.clamp(min=eps)


def clip_boxes(boxes: torch.Tensor, height: float, width: float) -> torch.Tensor:
    """Clips xyxy boxes to an image of ``height`` x ``width`` (returns a new tensor)."""
    out = boxes.clone()
    out[..., 0::2] = out[..., 0::2].clamp(0, width)
    out[..., 1::2] = out[..., 1::2].clamp(0, height)
    return out


def unletterbox_boxes(boxes, meta: dict):
    """Maps xyxy boxes from a letterboxed input back to the original image.

    ``LetterBox`` scales an image by ``scale_factor`` (w, h) and pads it by
    ``pad_param`` (top, bottom, left, right); this subtracts the left and top padding
    and divides by the scale. A meta without those fields leaves the boxes as they are.

    Args:
        boxes: ``(..., 4)`` boxes, a tensor or anything numpy reads.
        meta: the image's meta information.

    Returns:
        The boxes in original image pixels: a tensor for a tensor, else a float64 array.
    """
    is_tensor = isinstance(boxes, torch.Tensor)
    out = boxes.clone() if is_tensor else np.array(boxes, dtype=np.float64).reshape(-1, 4)
    pad = meta.get('pad_param')
    if pad is not None:
        out = out - out.new_tensor([pad[2], pad[0], pad[2], pad[0]]) if is_tensor else \
            out - np.array([pad[2], pad[0], pad[2], pad[0]], np.float64)
    scale = meta.get('scale_factor')
    if scale is not None:
        out = out / out.new_tensor([scale[0], scale[1], scale[0], scale[1]]) if is_tensor else \
            out / np.array([scale[0], scale[1], scale[0], scale[1]], np.float64)
    return out


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression of one class.

    A box is dropped if its IoU with a kept box of higher score is strictly greater
    than ``iou_threshold`` (torchvision's rule). Ties in score keep the lower index first.

    Args:
        boxes: ``(N, 4)`` xyxy boxes.
        scores: ``(N, )`` scores.
        iou_threshold: the IoU above which a lower-scored box is suppressed.

    Returns:
        ``(K, )`` int64 indices of the kept boxes, in descending score order.
    """
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.long, device=boxes.device)
    order = torch.sort(scores, descending=True, stable=True).indices
    iou = box_iou(boxes[order], boxes[order])
    n = len(order)
    suppressed = torch.zeros(n, dtype=torch.bool, device=boxes.device)
    keep = []
    # Rows of the IoU matrix are read once per kept box: O(K * N) after the O(N^2) matrix.
    for i in range(n):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_threshold
    return order[torch.as_tensor(keep, dtype=torch.long, device=boxes.device)]


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor,
                iou_threshold: float) -> torch.Tensor:
    """Non-maximum suppression done independently for each category (``idxs``).

    Same semantics as ``torchvision.ops.batched_nms``: boxes of different ``idxs``
    never suppress each other (they are moved apart by an offset per index); the
    kept indices are returned in descending score order.

    Args:
        boxes: ``(N, 4)`` xyxy boxes.
        scores: ``(N, )`` scores.
        idxs: ``(N, )`` integer category (or image) of each box.
        iou_threshold: the IoU above which a lower-scored box of the same index is
            suppressed.

    Returns:
        ``(K, )`` int64 indices of the kept boxes, sorted by decreasing score.
    """
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.long, device=boxes.device)
    if not (len(boxes) == len(scores) == len(idxs)):
        raise ValueError(f'batched_nms: boxes {tuple(boxes.shape)}, scores '
                         f'{tuple(scores.shape)} and idxs {tuple(idxs.shape)} differ in length')
    boxes = boxes.float()
    offset = idxs.to(boxes) * (boxes.max() - boxes.min() + 1)
    return nms(boxes + offset[:, None], scores, iou_threshold)


__all__ = ['batched_nms', 'box_area', 'box_iou', 'clip_boxes', 'nms', 'unletterbox_boxes']
