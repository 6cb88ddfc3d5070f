"""Multitask-Net's two branches as one head: the box branch, the pose branch and their coupling."""

from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmengine.structures import InstanceData

from headpose.registry import MODELS

#: Fields of the box branch's detections that only carry the assignment to the pose branch.
_ASSIGNMENT_FIELDS = ('anchor_inds', 'resp_anchors')


@MODELS.register_module()
class MultiTaskHead(BaseModule):
    """A YOLO box branch (``bbox_head``) and a pose branch (``pose_head``) over one neck.

    This is the one place where the two branches meet: the box branch assigns anchors
    to the ground-truth heads (``YOLOV3Head.get_targets``) and that assignment is handed
    to the pose branch's loss; at test time the box branch's detections (with the
    anchors that found them) are handed to the pose branch's ``predict``. The pose
    branch also reads the box branch's bridge features (the aggregation module).

    Loss: ``alpha * L_box + (1 - alpha) * L_pose``, every term weighted and logged
    separately (``loss_xy``, ``loss_wh``, ``loss_conf``, ``loss_cls``, ``loss_pose``,
    ``loss_orth``). While the pose branch is frozen (every parameter has
    ``requires_grad=False``, e.g. in the first two phases of ``TrainingPhaseHook``),
    it is not run in training and adds no loss.

    Flip testing (``predict(..., flipped_feats=...)``): boxes and scores come from the
    image as given; each detection's pose merges the outputs of its anchor and of the
    mirrored anchor of the flipped image by the codec's flip rule
    (``AggregationPoseHead.predict``). The input width must be a multiple of every
    stride, so that mirrored cells line up (:meth:`check_flip_width`).

    Args:
        bbox_head: the box branch config (``YOLOV3Head``).
        pose_head: the pose branch config (``AggregationPoseHead``).
        alpha: the weight of the box loss; the pose loss gets ``1 - alpha``.
        init_cfg: mmengine initialisation config (the branches have their own).
    """

    def __init__(self, bbox_head: dict, pose_head: dict, alpha: float = 0.5,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f'MultiTaskHead: alpha must be in [0, 1], got {alpha}')
        self.bbox_head = MODELS.build(bbox_head)
        self.pose_head = MODELS.build(pose_head)
        self.alpha = alpha

    @property
    def codec(self):
        """The pose branch's codec."""
        return self.pose_head.codec

    @property
    def pose_trainable(self) -> bool:
        """Whether any parameter of the pose branch is trained."""
        return any(p.requires_grad for p in self.pose_head.parameters())

    def forward(self, feats: Sequence[torch.Tensor]) -> Tuple[list, list]:
        """Neck maps (deepest first) -> (per-level raw box maps, per-level raw pose maps)."""
        box_maps, box_feats = self.bbox_head(feats)
        return box_maps, self.pose_head(feats, box_feats)

    def loss(self, feats: Sequence[torch.Tensor], data_samples: list) -> dict:
        """The weighted box and pose losses of a batch (see the class docstring)."""
        box_maps, box_feats = self.bbox_head(feats)
        targets = self.bbox_head.get_targets(box_maps, data_samples)
        losses = _weighted(self.bbox_head.loss(box_maps, targets), self.alpha)
        if self.pose_trainable:
            pose_maps = self.pose_head(feats, box_feats)
            losses.update(_weighted(self.pose_head.loss(pose_maps, targets, data_samples),
                                    1.0 - self.alpha))
        return losses

    def check_flip_width(self, width: int) -> None:
        """Raises unless an input of this width can be flip tested (see the class doc)."""
        strides = self.bbox_head.prior_generator.strides
        if any(width % s for s in strides):
            raise ValueError(f'MultiTaskHead: flip testing needs an input width that is a '
                             f'multiple of the strides {strides} (so that mirrored cells '
                             f'line up), got width {width}; letterbox to a multiple of '
                             f'{max(strides)} or set flip_test=False')

    def predict(self, feats: Sequence[torch.Tensor], data_samples: list,
                flipped_feats: Optional[Sequence[torch.Tensor]] = None
                ) -> List[InstanceData]:
        """Per image, the detections: ``bboxes`` (K, 4) in original image pixels,
        ``scores``, ``labels``, ``rotations`` (K, 3, 3) and ``poses`` (K, 3: yaw, pitch,
        roll in degrees).

        Args:
            feats: the neck's maps of the images.
            data_samples: one per image; their meta information rescales the boxes.
            flipped_feats: the neck's maps of the horizontally flipped images (flip test).
        """
        box_maps, pose_maps = self(feats)
        results = self.bbox_head.predict(box_maps, [s.metainfo for s in data_samples])
        flipped_maps = None
        if flipped_feats is not None:
            _, flipped_maps = self(flipped_feats)
        results = self.pose_head.predict(pose_maps, results, flipped_maps=flipped_maps)
        for inst in results:
            for key in _ASSIGNMENT_FIELDS:
                if key in inst:
                    del inst[key]
        return results


def _weighted(losses: dict, weight: float) -> dict:
    """``losses`` with every ``loss*`` term multiplied by ``weight`` (logged values kept)."""
    return {k: v * weight if k.startswith('loss') else v for k, v in losses.items()}


__all__ = ['MultiTaskHead']
