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
        data_preprocessor: data preprocessor config.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self, backbone: dict, neck: dict, bbox_head: dict, pose_head: dict,
                 alpha: float = 0.5, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f'MultiTaskNet: alpha must be in [0, 1], got {alpha}')
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.bbox_head = MODELS.build(bbox_head)
        self.pose_head = MODELS.build(pose_head)
        self.alpha = alpha

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


__all__ = ['MultiTaskNet']
