"""Multitask-Net's pose branch: the aggregation module and a pose per anchor."""

from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmengine.structures import InstanceData

from headpose.registry import MODELS, TASK_UTILS

from ..backbones.darknet import ConvBNLeaky
from .yolov3_head import flatten_maps


@MODELS.register_module()
class AggregationPoseHead(BaseModule):
    """Predicts a head pose for every anchor of YOLOv3's box branch.

    Per level, the aggregation module: two convolutions (3x3 then 1x1, ConvBNLeaky)
    on the neck's map, concatenated with the box branch's bridge features of that
    level (``aggregate=True``), then a 1x1 conv to ``num_anchors * P`` outputs, P the
    codec's ``num_outputs`` (3 Euler angles or 9 vector entries). With
    ``aggregate=False`` there is no concatenation (the pose branch sees the neck's
    map only).

    The codec encodes targets and decodes outputs: ``EulerCodec`` (yaw, pitch, roll in
    units of its ``angle_unit``, e.g. 90 degrees, so they start at a sensible
    magnitude) or ``RotationVectorCodec`` (the columns of R; decoding projects onto the
    nearest rotation by SVD).

    Which anchors learn and decode a head's pose is the box branch's assignment, handed
    over explicitly by ``MultiTaskHead``: the pose is trained on the anchors that the box
    branch made positive (``train_anchors='positive'``: ``pos`` and ``gt_index`` of
    ``YOLOV3Head.get_targets``) or on every anchor in the cell of a head's centre, at
    every level (``'responsible'``: ``resp_index``), which gives each level's branch
    every head; ``predict`` decodes, per detection of the box branch, the outputs of the
    anchor that detected it (``test_anchors='detection'``: ``anchor_inds``) or the mean
    of the outputs of the anchors that ``'responsible'`` training would have given it
    (``test_anchors='responsible'``: ``resp_anchors``; only for an ``averageable``
    codec, the mean is decoded like any output). Each of those anchors was trained on
    the head, so their mean is a less noisy estimate.

    Args:
        in_channels: channels of the neck's maps, deepest first.
        box_channels: channels of the box branch's bridge features, deepest first.
        feat_channels: channels of the two convs per level (default ``in_channels``).
        num_anchors: anchors per location (as the box branch).
        codec: the pose codec config (see ``BasePoseCodec``).
        aggregate: concatenate the box branch's features (the aggregation module).
        loss: the pose loss on codec targets; it is called with ``avg_factor``.
        loss_orth: the orthogonality loss on 9 vector outputs (``None``: none).
        train_anchors: ``'positive'`` or ``'responsible'`` (see above).
        test_anchors: ``'detection'`` or ``'responsible'`` (see above).
        init_cfg: mmengine initialisation config.
    """

    def __init__(self, in_channels: Sequence[int] = (512, 256, 128),
                 box_channels: Sequence[int] = (1024, 512, 256),
                 feat_channels: Optional[Sequence[int]] = None, num_anchors: int = 3,
                 codec: dict = dict(type='RotationVectorCodec', full_range=True),
                 aggregate: bool = True,
                 loss: dict = dict(type='VectorMSELoss', loss_weight=1.0),
                 loss_orth: Optional[dict] = dict(type='OrthogonalityLoss', loss_weight=1.0),
                 train_anchors: str = 'positive', test_anchors: str = 'detection',
                 init_cfg: Optional[dict] = None):
        if init_cfg is None:
            init_cfg = [dict(type='Kaiming', layer='Conv2d', a=0.1, nonlinearity='leaky_relu'),
                        dict(type='Constant', val=1, layer=['_BatchNorm'])]
        super().__init__(init_cfg=init_cfg)
        if train_anchors not in ('positive', 'responsible'):
            raise ValueError(f"AggregationPoseHead: train_anchors must be 'positive' or "
                             f"'responsible', got {train_anchors!r}")
        if test_anchors not in ('detection', 'responsible'):
            raise ValueError(f"AggregationPoseHead: test_anchors must be 'detection' or "
                             f"'responsible', got {test_anchors!r}")
        self.codec = TASK_UTILS.build(codec)
        if test_anchors == 'responsible' and not self.codec.averageable:
            raise ValueError(f"AggregationPoseHead: test_anchors='responsible' averages the "
                             f"outputs of several anchors, which needs an averageable codec "
                             f"(e.g. RotationVectorCodec); {self.codec!r} is not (Euler "
                             "angles wrap at +-180 degrees)")
        if loss_orth is not None and self.codec.num_outputs != 9:
            raise ValueError(f'AggregationPoseHead: loss_orth needs the 9 outputs of the '
                             f'rotation-vector codec; {self.codec!r} has '
                             f'{self.codec.num_outputs}: set loss_orth=None')
        self.train_anchors = train_anchors
        self.test_anchors = test_anchors
        feat_channels = list(feat_channels or in_channels)
        if not len(in_channels) == len(box_channels) == len(feat_channels):
            raise ValueError('AggregationPoseHead: in_channels, box_channels and feat_channels '
                             'need one entry per level')
        self.aggregate = aggregate
        self.num_anchors = num_anchors
        self.num_outputs = self.codec.num_outputs
        self.loss_pose = MODELS.build(loss)
        self.loss_orth = MODELS.build(loss_orth) if loss_orth is not None else None
        self.convs = nn.ModuleList(
            nn.Sequential(ConvBNLeaky(i, f, 3), ConvBNLeaky(f, f, 1))
            for i, f in zip(in_channels, feat_channels))
        pred_in = [f + (b if aggregate else 0) for f, b in zip(feat_channels, box_channels)]
        self.preds = nn.ModuleList(
            nn.Conv2d(c, num_anchors * self.num_outputs, 1) for c in pred_in)

    def init_weights(self) -> None:
        super().init_weights()
        # Small initial outputs: the first pose losses stay of the order of the targets.
        for conv in self.preds:
            nn.init.normal_(conv.weight, std=0.01)
            nn.init.zeros_(conv.bias)

    def forward(self, feats: Sequence[torch.Tensor],
                box_feats: Optional[Sequence[torch.Tensor]] = None) -> list:
        """Neck maps and box bridge features (deepest first) -> per-level raw pose maps."""
        if self.aggregate and box_feats is None:
            raise ValueError('AggregationPoseHead: aggregate=True needs the box branch\'s '
                             'features')
        outs = []
        for i, x in enumerate(feats):
            y = self.convs[i](x)
            if self.aggregate:
                y = torch.cat([y, box_feats[i]], 1)
            outs.append(self.preds[i](y))
        return outs

    def _outputs(self, maps: Sequence[torch.Tensor]) -> torch.Tensor:
        """(N, M, P) outputs in the codec's units, anchors in prior order."""
        return flatten_maps(maps, self.num_anchors)

    def loss(self, maps: Sequence[torch.Tensor], targets: dict, data_samples: list) -> dict:
        """Pose losses over the trained anchors (``train_anchors``) of ``YOLOV3Head.get_targets``.

        Like the box losses, each is summed over the trained anchors and divided by the
        number of images (the losses' ``avg_factor``), so that ``alpha`` balances terms of
        one scale. Returns ``loss_pose`` (and ``loss_orth`` for vectors), plus
        ``pose_mae``: the mean absolute error of the trained anchors in codec units.
        """
        out = self._outputs(maps).float()  # float32 under autocast: targets not rounded
        partial = [s.metainfo.get('img_path', '?') for s in data_samples
                   if 'angle_weights' in s.gt_instances
                   and bool((s.gt_instances.angle_weights < 1).any())]
        if partial:  # would train on the placeholders of unknown angles
            raise NotImplementedError(
                f'{type(self).__name__} does not train on partial labels (angle weights '
                f'below 1, e.g. {partial[0]}); RankPoseHead does, or drop gt_angle_weights')
        if self.train_anchors == 'positive':
            pos, gt_index = targets['pos'], targets['gt_index']
        else:
            gt_index = targets['resp_index']
            pos = gt_index >= 0
        preds = out[pos]  # (P, D), image by image, anchor order
        rotations = [s.gt_instances.rotations.to(out)[gt_index[i][pos[i]]]
                     for i, s in enumerate(data_samples)]
        rotations = torch.cat(rotations) if rotations else out.new_zeros(0, 3, 3)
        target = self.codec.encode(rotations).to(out) if len(rotations) else \
            out.new_zeros(0, self.num_outputs)
        n = float(targets['num_imgs']) if 'num_imgs' in targets else float(len(data_samples))
        losses = dict(loss_pose=self.loss_pose(preds, target, avg_factor=n))
        if self.loss_orth is not None:
            losses['loss_orth'] = self.loss_orth(preds, avg_factor=n)
        with torch.no_grad():
            losses['pose_mae'] = (preds - target).abs().mean() if len(preds) else \
                out.new_zeros(())
        return losses

    def predict(self, maps: Sequence[torch.Tensor], results: List[InstanceData],
                flipped_maps: Optional[Sequence[torch.Tensor]] = None) -> List[InstanceData]:
        """Adds ``rotations`` (K, 3, 3) and ``poses`` (K, 3: yaw, pitch, roll in degrees)
        to each image's detections, decoded at their ``anchor_inds`` or, with
        ``test_anchors='responsible'``, from the mean over their ``resp_anchors`` (a
        detection without any keeps its own anchor's output).

        ``flipped_maps`` (flip test): the pose maps of the horizontally flipped images.
        Mirrored along the width, cell ``x`` of a map lands on cell ``x`` of ``maps``
        (the input width must be a multiple of every stride); each anchor's output is
        then merged with its mirror's by the codec's ``merge_flip`` (the flip rule)
        before decoding."""
        out = self.anchor_outputs(maps, flipped_maps)
        return [decode_detection_poses(self.codec, self.test_anchors, out[i], inst)
                for i, inst in enumerate(results)]

    def anchor_outputs(self, maps: Sequence[torch.Tensor],
                       flipped_maps: Optional[Sequence[torch.Tensor]] = None) -> torch.Tensor:
        """Every anchor's raw outputs ``(N, M, P)`` in the codec's units, merged with the
        mirrored anchor's outputs of the flipped images when ``flipped_maps`` are given
        (see :meth:`predict`): what the ONNX export's graph outputs as ``poses_raw``."""
        out = self._outputs(maps).detach().float()
        if flipped_maps is not None:
            back = self._outputs([m.flip(-1) for m in flipped_maps]).detach().float()
            if back.shape != out.shape:
                raise ValueError(f'AggregationPoseHead: flipped maps give outputs of shape '
                                 f'{tuple(back.shape)}, the maps {tuple(out.shape)}')
            out = self.codec.merge_flip(out.reshape(-1, self.num_outputs),
                                        back.reshape(-1, self.num_outputs)).reshape(out.shape)
        return out


def decode_detection_poses(codec, test_anchors: str, outputs: torch.Tensor,
                           inst: InstanceData) -> InstanceData:
    """Adds ``rotations`` and ``poses`` to one image's detections (see
    ``AggregationPoseHead.predict``); shared with the ONNX model (``OnnxHeadPoseModel``).

    Args:
        codec: the pose codec.
        test_anchors: ``'detection'`` or ``'responsible'``.
        outputs: ``(M, P)`` the image's anchor outputs (``anchor_outputs``).
        inst: the detections with ``anchor_inds`` (and ``resp_anchors``).

    Returns:
        ``inst``, with ``rotations`` (K, 3, 3) and ``poses`` (K, 3) set.
    """
    preds = outputs[inst.anchor_inds]
    if test_anchors == 'responsible' and len(inst) > 0:
        if 'resp_anchors' not in inst:
            raise ValueError("AggregationPoseHead: test_anchors='responsible' needs "
                             "the box branch's resp_anchors (YOLOV3Head.predict)")
        mask = inst.resp_anchors.to(outputs.dtype)  # (K, M)
        count = mask.sum(1, keepdim=True)
        mean = mask @ outputs / count.clamp(min=1)
        preds = torch.where(count > 0, mean, preds)
    rotations, angles = codec.decode(preds)
    inst.rotations = rotations.reshape(-1, 3, 3)
    inst.poses = angles.reshape(-1, 3)
    return inst


__all__ = ['AggregationPoseHead', 'decode_detection_poses']
