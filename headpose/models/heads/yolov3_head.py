"""YOLOv3's box branch: per level a 3x3 bridge conv and a 1x1 prediction, its loss and decoding."""

from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmengine.structures import InstanceData

from headpose.registry import MODELS, TASK_UTILS
from headpose.structures import batched_nms, box_iou, clip_boxes, unletterbox_boxes

from ..backbones.darknet import ConvBNLeaky
from ..task_modules.yolo import YOLOV3_ANCHORS


def flatten_maps(maps: Sequence[torch.Tensor], num_anchors: int) -> torch.Tensor:
    """Per-level (N, A * D, H, W) maps -> (N, sum_l H_l * W_l * A, D), prior order."""
    out = []
    for m in maps:
        n, c, h, w = m.shape
        out.append(m.reshape(n, num_anchors, c // num_anchors, h, w).permute(0, 3, 4, 1, 2)
                   .reshape(n, h * w * num_anchors, c // num_anchors))
    return torch.cat(out, 1)


@MODELS.register_module()
class YOLOV3Head(BaseModule):
    """YOLOv3's head: 3 anchors a level, each with (x, y, w, h, objectness, classes).

    Per level, a 3x3 "bridge" conv (ConvBNLeaky, ``out_channels``) and a 1x1 conv to
    ``num_anchors * (5 + num_classes)`` outputs. ``forward`` also returns the bridge
    features: the pose branch of Multitask-Net concatenates them with its own.

    Loss (``loss``; targets from ``get_targets``): over positive anchors, a binary
    cross-entropy on the centre offsets (``loss_xy``), a squared error on the log
    sizes (``loss_wh``) and a binary cross-entropy on the classes (``loss_cls``); over
    positive and negative anchors (not ignored ones), a binary cross-entropy on the
    objectness (``loss_conf``). Each is summed over anchors and divided by the number
    of images, so it does not depend on the batch size.

    Args:
        in_channels: channels of the neck's maps, deepest first.
        out_channels: channels of the bridge convs, deepest first.
        num_classes: number of classes (1: head).
        tanh_box: bounded box outputs (Multitask-Net v1-tanh), see ``YOLOBBoxCoder``.
        anchor_generator: the ``YOLOAnchorGenerator`` config.
        bbox_coder: the ``YOLOBBoxCoder`` config (its ``tanh`` is set by ``tanh_box``).
        assigner: the ``GridAssigner`` config.
        loss_cls: class loss config.
        loss_conf: objectness loss config.
        loss_xy: centre loss config.
        loss_wh: size loss config.
        test_cfg: decoding: ``conf_thr`` (objectness), ``score_thr`` (objectness x
            class), ``nms_iou``, ``nms_pre`` (candidates per image before NMS) and
            ``max_per_img``.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self, in_channels: Sequence[int] = (512, 256, 128),
                 out_channels: Sequence[int] = (1024, 512, 256), num_classes: int = 1,
                 tanh_box: bool = False,
                 anchor_generator: dict = dict(type='YOLOAnchorGenerator', strides=(32, 16, 8),
                                               base_sizes=YOLOV3_ANCHORS),
                 bbox_coder: dict = dict(type='YOLOBBoxCoder'),
                 assigner: dict = dict(type='GridAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                                       min_pos_iou=0.0),
                 loss_cls: dict = dict(type='SigmoidBCELoss', loss_weight=1.0),
                 loss_conf: dict = dict(type='SigmoidBCELoss', loss_weight=1.0),
                 loss_xy: dict = dict(type='SigmoidBCELoss', loss_weight=2.0),
                 loss_wh: dict = dict(type='SquaredErrorLoss', loss_weight=2.0),
                 test_cfg: Optional[dict] = None, init_cfg: Optional[dict] = None):
        if init_cfg is None:
            init_cfg = [dict(type='Normal', std=0.01, layer='Conv2d'),
                        dict(type='Constant', val=1, layer=['_BatchNorm'])]
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(out_channels):
            raise ValueError(f'YOLOV3Head: {len(in_channels)} in_channels but '
                             f'{len(out_channels)} out_channels')
        self.num_classes = num_classes
        self.prior_generator = TASK_UTILS.build(anchor_generator)
        if self.prior_generator.num_levels != len(in_channels):
            raise ValueError(f'YOLOV3Head: {len(in_channels)} levels but the anchor '
                             f'generator has {self.prior_generator.num_levels}')
        self.num_anchors = self.prior_generator.num_anchors
        self.bbox_coder = TASK_UTILS.build(dict(bbox_coder, tanh=tanh_box))
        self.tanh_box = tanh_box
        self.assigner = TASK_UTILS.build(assigner)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_conf = MODELS.build(loss_conf)
        self.loss_xy = MODELS.build(loss_xy)
        self.loss_wh = MODELS.build(loss_wh)
        self.test_cfg = dict(conf_thr=0.005, score_thr=0.05, nms_iou=0.45, nms_pre=1000,
                             max_per_img=100)
        self.test_cfg.update(test_cfg or {})
        self.out_channels = list(out_channels)
        self.bridges = nn.ModuleList(
            ConvBNLeaky(i, o, 3) for i, o in zip(in_channels, out_channels))
        self.preds = nn.ModuleList(
            nn.Conv2d(o, self.num_anchors * (5 + num_classes), 1) for o in out_channels)

    def init_weights(self) -> None:
        super().init_weights()
        # A low initial objectness (about 0.01) keeps the many negatives from swamping
        # the first iterations.
        for conv in self.preds:
            bias = conv.bias.data.view(self.num_anchors, -1)
            bias[:, 4].fill_(-4.6)
            bias[:, 5:].fill_(-4.6)

    def forward(self, feats: Sequence[torch.Tensor]) -> Tuple[list, list]:
        """Neck maps (deepest first) -> (per-level raw maps, per-level bridge features)."""
        bridge = [conv(x) for conv, x in zip(self.bridges, feats)]
        return [pred(b) for pred, b in zip(self.preds, bridge)], bridge

    def priors(self, maps: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor, list]:
        """All anchors ``(M, 4)``, their strides ``(M, )`` and the feature map sizes."""
        sizes = [tuple(m.shape[-2:]) for m in maps]
        priors = self.prior_generator.grid_priors(sizes, device=maps[0].device)
        strides = torch.cat([p.new_full((len(p), ), float(s))
                             for p, s in zip(priors, self.prior_generator.strides)])
        return torch.cat(priors), strides, sizes

    def get_targets(self, maps: Sequence[torch.Tensor], data_samples: list) -> dict:
        """Assigns anchors to the ground-truth heads of each image.

        Returns:
            A dict of ``(N, M, ...)`` tensors: ``pos`` and ``neg`` masks, ``gt_index``
            (index into the image's ``gt_instances``, -1 if not positive),
            ``xy``/``wh``/``cls`` targets, and ``num_imgs``; and ``resp_index``: for every
            anchor in the cell of a head's centre (at any level), the index of the head
            it overlaps most among those, -1 elsewhere. The pose head reads ``pos`` and
            ``gt_index`` (or ``resp_index``) to train the same anchors.
        """
        priors, strides, sizes = self.priors(maps)
        pos, neg, gt_index, resp_index, xy, wh, cls = [], [], [], [], [], [], []
        for sample in data_samples:
            gt = sample.gt_instances
            boxes = gt.bboxes.to(priors)
            labels = gt.labels.to(priors.device) if 'labels' in gt else \
                torch.zeros(len(boxes), dtype=torch.long, device=priors.device)
            flags = self.prior_generator.responsible_flags(sizes, boxes)
            assigned = self.assigner.assign(priors, flags, boxes)
            p = assigned > 0
            idx = assigned - 1
            xy_t = priors.new_zeros(len(priors), 2)
            wh_t = priors.new_zeros(len(priors), 2)
            cls_t = priors.new_zeros(len(priors), self.num_classes)
            if p.any():
                xy_t[p], wh_t[p] = self.bbox_coder.encode(priors[p], boxes[idx[p]], strides[p])
                cls_t[p, labels[idx[p]]] = 1.0
            pos.append(p)
            neg.append(assigned == 0)
            gt_index.append(torch.where(p, idx, torch.full_like(idx, -1)))
            resp_index.append(_responsible_index(priors, flags, boxes))
            xy.append(xy_t)
            wh.append(wh_t)
            cls.append(cls_t)
        return dict(pos=torch.stack(pos), neg=torch.stack(neg), gt_index=torch.stack(gt_index),
                    resp_index=torch.stack(resp_index), xy=torch.stack(xy), wh=torch.stack(wh),
                    cls=torch.stack(cls), num_imgs=len(data_samples))

    def loss(self, maps: Sequence[torch.Tensor], targets: dict) -> dict:
        """The four box losses of a batch, from raw maps and ``get_targets``'s targets."""
        raw = flatten_maps(maps, self.num_anchors).float()  # float32 under autocast (exp)
        pos = targets['pos'][..., None].to(raw.dtype)
        conf_weight = (targets['pos'] | targets['neg']).to(raw.dtype)
        n = float(targets['num_imgs'])
        return dict(
            loss_xy=self.loss_xy(self.bbox_coder.xy_logits(raw[..., :2]), targets['xy'],
                                 weight=pos, avg_factor=n),
            loss_wh=self.loss_wh(self.bbox_coder.wh_values(raw[..., 2:4]), targets['wh'],
                                 weight=pos, avg_factor=n),
            loss_conf=self.loss_conf(raw[..., 4], targets['pos'].to(raw.dtype),
                                     weight=conf_weight, avg_factor=n),
            loss_cls=self.loss_cls(raw[..., 5:], targets['cls'], weight=pos, avg_factor=n))

    def predict(self, maps: Sequence[torch.Tensor], batch_img_metas: List[dict],
                rescale: bool = True) -> List[InstanceData]:
        """Decodes boxes and scores, and keeps the best after per-class NMS.

        Args:
            maps: raw per-level maps.
            batch_img_metas: per image, its meta information; with ``rescale`` the
                boxes are mapped back to the original image with ``scale_factor``
                (w, h) and ``pad_param`` (top, bottom, left, right) when present.
            rescale: return boxes in original image pixels, not input pixels.

        Returns:
            Per image, an ``InstanceData`` with ``bboxes`` (K, 4), ``scores``,
            ``labels``, and for the pose head ``anchor_inds`` (each detection's anchor)
            and ``resp_anchors`` (K, M) bool: the anchors that training's
            ``resp_index`` would give each detection as if it were a ground truth
            (every anchor in the cell of its centre at every level, an anchor shared by
            two detections going to the one it overlaps most).
        """
        boxes, objectness, scores = self.decode_all(maps)
        priors, _, sizes = self.priors(maps)
        return [detections_of_image(boxes[i], objectness[i], scores[i], self.test_cfg,
                                    self.prior_generator, priors, sizes, meta, rescale)
                for i, meta in enumerate(batch_img_metas)]

    def decode_all(self, maps: Sequence[torch.Tensor]
                   ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Every anchor's box and scores, before any threshold: what the ONNX export's
        graph outputs (``headpose.apis.onnx_model``) and :meth:`predict` selects from.

        Returns:
            ``boxes`` (N, M, 4) xyxy in input pixels, ``objectness`` (N, M) and
            ``scores`` (N, M, num_classes) = objectness x class probability.
        """
        raw = flatten_maps(maps, self.num_anchors).detach()
        priors, strides, _ = self.priors(maps)
        objectness = raw[..., 4].sigmoid()
        scores = objectness[..., None] * raw[..., 5:].sigmoid()
        return self.bbox_coder.decode(priors, raw[..., :4], strides), objectness, scores

    @staticmethod
    def _rescale(boxes: torch.Tensor, meta: dict, rescale: bool) -> torch.Tensor:
        if 'batch_input_shape' in meta or 'img_shape' in meta:
            h, w = meta.get('img_shape', meta.get('batch_input_shape'))[:2]
            boxes = clip_boxes(boxes, h, w)
        if not rescale:
            return boxes
        boxes = unletterbox_boxes(boxes, meta)
        if 'ori_shape' in meta:
            boxes = clip_boxes(boxes, *meta['ori_shape'][:2])
        return boxes


def detections_of_image(boxes: torch.Tensor, objectness: torch.Tensor, scores: torch.Tensor,
                        test_cfg: dict, prior_generator, priors: torch.Tensor,
                        featmap_sizes: Sequence[Tuple[int, int]], meta: dict,
                        rescale: bool = True) -> InstanceData:
    """One image's detections from every anchor's box and scores (``decode_all``).

    The one implementation of the test-time selection, shared by ``YOLOV3Head.predict``
    and the ONNX model (``OnnxHeadPoseModel``, on ONNX Runtime's outputs): anchors with
    ``objectness >= conf_thr``, then (anchor, class) pairs with ``score >= score_thr``,
    the ``nms_pre`` best, per-class NMS at ``nms_iou`` (``batched_nms``), the
    ``max_per_img`` best.

    Args:
        boxes: ``(M, 4)`` xyxy boxes of all anchors, input pixels.
        objectness: ``(M, )`` objectness probabilities.
        scores: ``(M, C)`` objectness x class probabilities.
        test_cfg: ``conf_thr``, ``score_thr``, ``nms_iou``, ``nms_pre``, ``max_per_img``.
        prior_generator: the ``YOLOAnchorGenerator`` (for ``resp_anchors``).
        priors: ``(M, 4)`` the anchors.
        featmap_sizes: ``(H, W)`` of each level.
        meta: the image's meta information (see ``YOLOV3Head.predict``).
        rescale: boxes in original image pixels instead of input pixels.

    Returns:
        ``bboxes``, ``scores``, ``labels``, ``anchor_inds`` and ``resp_anchors``, as
        ``YOLOV3Head.predict``.
    """
    cfg = test_cfg
    keep = torch.nonzero(objectness >= cfg['conf_thr'])[:, 0]
    kept_scores = scores[keep]
    cand, labels = torch.nonzero(kept_scores >= cfg['score_thr'], as_tuple=True)
    score = kept_scores[cand, labels]
    if len(score) > cfg['nms_pre']:
        top = score.topk(cfg['nms_pre']).indices
        cand, labels, score = cand[top], labels[top], score[top]
    anchor_inds = keep[cand]
    cand_boxes = boxes[anchor_inds]
    kept = batched_nms(cand_boxes, score, labels, cfg['nms_iou'])[:cfg['max_per_img']]
    flags = prior_generator.responsible_flags(featmap_sizes, cand_boxes[kept])
    resp = _responsible_index(priors, flags, cand_boxes[kept])  # (M, ): detection or -1
    inst = InstanceData()
    inst.resp_anchors = resp[None, :] == kept.new_tensor(range(len(kept)))[:, None]
    inst.bboxes = YOLOV3Head._rescale(cand_boxes[kept], meta, rescale)
    inst.scores = score[kept]
    inst.labels = labels[kept]
    inst.anchor_inds = anchor_inds[kept]
    return inst


def _responsible_index(priors: torch.Tensor, flags: torch.Tensor,
                       boxes: torch.Tensor) -> torch.Tensor:
    """Per anchor, the best-overlapping box it is responsible for, or -1."""
    if len(boxes) == 0:
        return torch.full((len(priors), ), -1, dtype=torch.long, device=priors.device)
    iou = torch.where(flags, box_iou(priors, boxes), priors.new_full((), -1.0))
    best, idx = iou.max(dim=1)
    return torch.where(best >= 0, idx, torch.full_like(idx, -1))


__all__ = ['YOLOV3Head', 'detections_of_image', 'flatten_maps']
