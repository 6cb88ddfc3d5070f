"""Multitask-Net: one network that detects every head in an image and estimates its pose."""

from typing import List, Optional, Union

import torch
from mmengine.model import BaseModel

from headpose.registry import MODELS
from headpose.structures import HeadPoseDataSample


@MODELS.register_module()
class MultiTaskNet(BaseModel):
    """Backbone -> neck -> box branch (``bbox_head``) and pose branch (``pose_head``).

    It only routes features: the heads own their losses and decoding. The box branch
    assigns anchors to heads; the pose branch is trained on the same anchors and
    decodes the pose of the box branch's detections.

    Loss: ``alpha * L_box + (1 - alpha) * L_pose``, every term weighted and logged
    separately (``loss_xy``, ``loss_wh``, ``loss_conf``, ``loss_cls``, ``loss_pose``,
    ``loss_orth``). While the pose head is frozen (every parameter has
    ``requires_grad=False``, e.g. in the first two phases of ``TrainingPhaseHook``),
    the pose branch is not run in training and adds no loss.

    Args:
        backbone: backbone config (``Darknet``).
        neck: neck config (``YOLOV3Neck``).
        bbox_head: box branch config (``YOLOV3Head``).
        pose_head: pose branch config (``AggregationPoseHead``).
        alpha: the weight of the box loss; the pose loss gets ``1 - alpha``.
        test_cfg: ``dict(flip_test=bool)``. With ``flip_test``, the horizontally flipped
            images are run too and each detection's pose merges the outputs of its
            anchor and of the mirrored anchor of the flipped pass by the flip rule
            (``AggregationPoseHead.predict``); boxes and scores come from the images as
            given. The input width must be a multiple of the largest stride (32).
        data_preprocessor: data preprocessor config.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self, backbone: dict, neck: dict, bbox_head: dict, pose_head: dict,
                 alpha: float = 0.5, test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f'MultiTaskNet: alpha must be in [0, 1], got {alpha}')
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.bbox_head = MODELS.build(bbox_head)
        self.pose_head = MODELS.build(pose_head)
        self.alpha = alpha
        self.test_cfg = dict(test_cfg or {})

    def extract_feat(self, inputs: torch.Tensor) -> tuple:
        """The neck's maps, deepest first."""
        return self.neck(self.backbone(inputs))

    @property
    def pose_trainable(self) -> bool:
        """Whether any parameter of the pose head is trained."""
        return any(p.requires_grad for p in self.pose_head.parameters())

    def forward(self, inputs: torch.Tensor,
                data_samples: Optional[List[HeadPoseDataSample]] = None,
                mode: str = 'tensor') -> Union[dict, list, tuple]:
        feats = self.extract_feat(inputs)
        box_maps, box_feats = self.bbox_head(feats)
        if mode == 'loss':
            targets = self.bbox_head.get_targets(box_maps, data_samples)
            losses = {k: v * self.alpha if k.startswith('loss') else v
                      for k, v in self.bbox_head.loss(box_maps, targets).items()}
            if self.pose_trainable:
                pose_maps = self.pose_head(feats, box_feats)
                pose_losses = self.pose_head.loss(pose_maps, targets, data_samples)
                losses.update({k: v * (1.0 - self.alpha) if k.startswith('loss') else v
                               for k, v in pose_losses.items()})
            return losses
        pose_maps = self.pose_head(feats, box_feats)
        if mode == 'predict':
            metas = [s.metainfo for s in data_samples]
            results = self.bbox_head.predict(box_maps, metas)
            if self.test_cfg.get('flip_test', False):
                results = self.pose_head.predict(pose_maps, results,
                                                 flipped_maps=self._flipped_pose_maps(inputs))
            else:
                results = self.pose_head.predict(pose_maps, results)
            for sample, inst in zip(data_samples, results):
                for key in ('anchor_inds', 'resp_anchors'):  # the heads' go-betweens
                    if key in inst:
                        del inst[key]
                sample.pred_instances = inst
            return data_samples
        if mode == 'tensor':
            return box_maps, pose_maps
        raise ValueError(f"MultiTaskNet: mode must be 'loss', 'predict' or 'tensor', "
                         f'got {mode!r}')

    def _flipped_pose_maps(self, inputs: torch.Tensor) -> list:
        """The pose maps of the horizontally flipped inputs (for the flip test)."""
        width = inputs.shape[-1]
        strides = self.bbox_head.prior_generator.strides
        bad = [s for s in strides if width % s]
        if bad:
            raise ValueError(f'MultiTaskNet: test_cfg.flip_test needs an input width that is '
                             f'a multiple of the strides {strides} (so that mirrored cells '
                             f'line up), got width {width}; letterbox to a multiple of '
                             f'{max(strides)} or set flip_test=False')
        _, pose_maps = self.forward(inputs.flip(-1), mode='tensor')
        return pose_maps


__all__ = ['MultiTaskNet']
