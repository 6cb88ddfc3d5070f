"""YOLOv3's task modules in plain torch: anchor generator, grid assigner and box coder."""

import math
from typing import List, Sequence, Tuple

import torch

from headpose.registry import TASK_UTILS
from headpose.structures import box_iou

#: YOLOv3's anchors (w, h) in pixels for 416 x 416 inputs, per level of stride 32, 16, 8.
YOLOV3_ANCHORS = (((116, 90), (156, 198), (373, 326)),
                  ((30, 61), (62, 45), (59, 119)),
                  ((10, 13), (16, 30), (33, 23)))


@TASK_UTILS.register_module()
class YOLOAnchorGenerator:
    """Anchors centred on the cells of each feature map, a fixed set of sizes per level.

    The priors of one level are ordered (row, column, anchor): index
    ``(y * W + x) * A + a``, the order in which ``YOLOV3Head`` flattens its outputs.

    Args:
        strides: the stride of each level, in pixels.
        base_sizes: per level, the ``(w, h)`` of its anchors, in input pixels.
    """

    def __init__(self, strides: Sequence[int] = (32, 16, 8),
                 base_sizes: Sequence[Sequence[Sequence[float]]] = YOLOV3_ANCHORS):
        if len(strides) != len(base_sizes):
            raise ValueError(f'YOLOAnchorGenerator: {len(strides)} strides but '
                             f'{len(base_sizes)} levels of base_sizes')
        counts = {len(sizes) for sizes in base_sizes}
        if len(counts) != 1:
            raise ValueError('YOLOAnchorGenerator: every level needs the same number of '
                             f'anchors, got {[len(s) for s in base_sizes]}')
        self.strides = [int(s) for s in strides]
        self.base_sizes = [torch.tensor(s, dtype=torch.float32).reshape(-1, 2)
                           for s in base_sizes]
        self.num_anchors = counts.pop()

    @property
    def num_levels(self) -> int:
        return len(self.strides)

    def grid_priors(self, featmap_sizes: Sequence[Tuple[int, int]],
                    device='cpu') -> List[torch.Tensor]:
        """The anchors of every level.

        Args:
            featmap_sizes: ``(H, W)`` of each level.
            device: where to create them.

        Returns:
            Per level, ``(H * W * A, 4)`` xyxy anchors.
        """
        if len(featmap_sizes) != self.num_levels:
            raise ValueError(f'YOLOAnchorGenerator: {len(featmap_sizes)} feature maps for '
                             f'{self.num_levels} levels')
        priors = []
        for (h, w), stride, sizes in zip(featmap_sizes, self.strides, self.base_sizes):
            ys, xs = torch.meshgrid(torch.arange(h, device=device, dtype=torch.float32),
                                    torch.arange(w, device=device, dtype=torch.float32),
                                    indexing='ij')
            centers = (torch.stack([xs, ys], -1).reshape(-1, 1, 2) + 0.5) * stride
            half = sizes.to(device).reshape(1, -1, 2) / 2
            priors.append(torch.cat([centers - half, centers + half], -1).reshape(-1, 4))
        return priors

    def responsible_flags(self, featmap_sizes: Sequence[Tuple[int, int]],
                          gt_bboxes: torch.Tensor) -> torch.Tensor:
        """Which anchors lie in the cell that holds a ground-truth box's centre.

        Args:
            featmap_sizes: ``(H, W)`` of each level.
            gt_bboxes: ``(K, 4)`` xyxy boxes in input pixels.

        Returns:
            ``(sum_l H_l * W_l * A, K)`` bool, over all levels in order.
        """
        flags = []
        centers = (gt_bboxes[:, :2] + gt_bboxes[:, 2:]) / 2
        for (h, w), stride in zip(featmap_sizes, self.strides):
            cx = (centers[:, 0] / stride).floor().long().clamp(0, w - 1)
            cy = (centers[:, 1] / stride).floor().long().clamp(0, h - 1)
            cell = cy * w + cx  # (K, )
            cells = torch.arange(h * w, device=gt_bboxes.device)
            flag = cells[:, None] == cell[None, :]  # (H * W, K)
            flags.append(flag.repeat_interleave(self.num_anchors, dim=0))
        return torch.cat(flags, 0)


@TASK_UTILS.register_module()
class GridAssigner:
    """YOLOv3's assignment of anchors to ground-truth boxes.

    Every anchor starts ignored. Anchors whose best IoU with any box is below
    ``neg_iou_thr`` become negatives (background for the objectness). An anchor is
    positive for a box if it is responsible for it (its cell holds the box's centre)
    and either its IoU with the box is at least ``pos_iou_thr`` (and the box is its
    best match), or it is the box's best responsible anchor over all levels (with
    IoU at least ``min_pos_iou``). The remaining anchors are ignored: no objectness
    loss, neither positive nor negative.

    Args:
        pos_iou_thr: IoU from which a responsible anchor is positive.
        neg_iou_thr: IoU below which an anchor is negative.
        min_pos_iou: minimal IoU of a box's best responsible anchor.
    """

    def __init__(self, pos_iou_thr: float = 0.5, neg_iou_thr: float = 0.5,
                 min_pos_iou: float = 0.0):
        self.pos_iou_thr = pos_iou_thr
        self.neg_iou_thr = neg_iou_thr
        self.min_pos_iou = min_pos_iou

    def assign(self, priors: torch.Tensor, responsible: torch.Tensor,
               gt_bboxes: torch.Tensor) -> torch.Tensor:
        """Assigns each prior: -1 ignored, 0 negative, k + 1 positive for box k.

        Args:
            priors: ``(M, 4)`` xyxy anchors of all levels.
            responsible: ``(M, K)`` bool, see ``YOLOAnchorGenerator.responsible_flags``.
            gt_bboxes: ``(K, 4)`` xyxy boxes.

        Returns:
            ``(M, )`` int64 assignment.
        """
        m = len(priors)
        assigned = torch.full((m, ), -1, dtype=torch.long, device=priors.device)
        if len(gt_bboxes) == 0:
            assigned[:] = 0
            return assigned
        iou = box_iou(priors, gt_bboxes.to(priors))  # (M, K)
        max_iou, argmax = iou.max(dim=1)
        assigned[max_iou < self.neg_iou_thr] = 0
        # Responsible anchors with a high IoU for their best box.
        own = responsible.gather(1, argmax[:, None])[:, 0]
        pos = own & (max_iou >= self.pos_iou_thr)
        assigned[pos] = argmax[pos] + 1
        # Each box's best responsible anchor (over all levels) is positive.
        masked = torch.where(responsible, iou, iou.new_full((), -1.0))
        best_iou, best = masked.max(dim=0)  # (K, )
        for k in range(len(gt_bboxes)):
            if best_iou[k] >= max(self.min_pos_iou, 0.0) and responsible[best[k], k]:
                assigned[best[k]] = k + 1
        return assigned


@TASK_UTILS.register_module()
class YOLOBBoxCoder:
    """Encodes boxes relative to anchors, and decodes raw box outputs, as YOLOv3 does.

    With ``tanh=False`` (YOLOv3): centre = anchor centre + (sigmoid(t_xy) - 0.5) *
    stride, size = anchor size * exp(t_wh). The xy targets are probabilities in
    [0, 1] for a binary cross-entropy on ``t_xy``; the wh targets are ``log(gt / anchor)``.

    With ``tanh=True`` (the bounded box outputs of Multitask-Net v1-tanh): centre =
    anchor centre + tanh(t_xy) * stride, size = anchor size * exp(tanh(t_wh) *
    log(wh_range)). Since (tanh(t) + 1) / 2 = sigmoid(2 t), the xy loss is the same
    binary cross-entropy on ``2 t_xy`` against ``(offset / stride + 1) / 2``; the wh
    targets are ``log(gt / anchor) / log(wh_range)`` clipped into (-1, 1).

    Args:
        tanh: use the bounded tanh form.
        wh_range: with ``tanh``, the largest size ratio to the anchor.
        eps: margin of the clipped targets.
    """

    def __init__(self, tanh: bool = False, wh_range: float = 4.0, eps: float = 1e-6):
        if wh_range <= 1:
            raise ValueError(f'YOLOBBoxCoder: wh_range must be > 1, got {wh_range}')
        self.tanh = tanh
        self.log_range = math.log(wh_range)
        self.eps = eps

    def xy_logits(self, raw_xy: torch.Tensor) -> torch.Tensor:
        """The logits whose sigmoid is compared with the xy targets."""
        return 2.0 * raw_xy if self.tanh else raw_xy

    def wh_values(self, raw_wh: torch.Tensor) -> torch.Tensor:
        """The values compared with the wh targets."""
        return torch.tanh(raw_wh) if self.tanh else raw_wh

    def encode(self, priors: torch.Tensor, gt_bboxes: torch.Tensor,
               strides: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Targets of matched (prior, box) pairs.

        Args:
            priors: ``(P, 4)`` xyxy anchors.
            gt_bboxes: ``(P, 4)`` xyxy boxes, one per anchor.
            strides: ``(P, )`` stride of each anchor's level.

        Returns:
            ``(xy_target (P, 2) in [0, 1], wh_target (P, 2))``.
        """
        pc, pwh = _center_size(priors)
        gc, gwh = _center_size(gt_bboxes)
        offset = (gc - pc) / strides[:, None]
        log_ratio = torch.log(gwh.clamp(min=self.eps) / pwh)
        if self.tanh:
            xy = ((offset + 1.0) / 2.0).clamp(self.eps, 1 - self.eps)
            wh = (log_ratio / self.log_range).clamp(-1 + self.eps, 1 - self.eps)
        else:
            xy = (offset + 0.5).clamp(self.eps, 1 - self.eps)
            wh = log_ratio
        return xy, wh

    def decode(self, priors: torch.Tensor, raw: torch.Tensor,
               strides: torch.Tensor) -> torch.Tensor:
        """Boxes from raw outputs.

        Args:
            priors: ``(..., 4)`` xyxy anchors.
            raw: ``(..., 4)`` raw outputs (t_x, t_y, t_w, t_h).
            strides: stride of each anchor, broadcastable to ``(...)``.

        Returns:
            ``(..., 4)`` xyxy boxes.
        """
        pc, pwh = _center_size(priors)
        stride = strides[..., None]
        if self.tanh:
            center = pc + torch.tanh(raw[..., :2]) * stride
            size = pwh * torch.exp(torch.tanh(raw[..., 2:]) * self.log_range)
        else:
            center = pc + (torch.sigmoid(raw[..., :2]) - 0.5) * stride
            size = pwh * torch.exp(raw[..., 2:].clamp(max=math.log(1000.0)))
        return torch.cat([center - size / 2, center + size / 2], -1)


def _center_size(boxes: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    return (boxes[..., :2] + boxes[..., 2:]) / 2, boxes[..., 2:] - boxes[..., :2]


__all__ = ['GridAssigner', 'YOLOAnchorGenerator', 'YOLOBBoxCoder', 'YOLOV3_ANCHORS']
