"""An MLP pose head that regresses the 6D rotation representation."""

from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmengine.structures import InstanceData

from headpose.models.heads.rankpose_head import crop_rotations
from headpose.registry import MODELS, TASK_UTILS
from headpose.structures import HeadPoseDataSample, matrix_to_euler


@MODELS.register_module()
class Rot6DHead(BaseModule):
    """Regresses a rotation from a pooled feature through a two-layer MLP.

    The MLP outputs 6 unbounded numbers; the codec (``Rot6DCodec``) turns them into a
    rotation matrix by Gram-Schmidt, and the loss compares that matrix with
    the true rotation directly (e.g. ``GeodesicLoss``). RankPoseHead, by contrast,
    outputs three Euler angles bounded to (-90, 90) degrees and is trained with MSE
    on the angles; this head has no bound and no wrap-around, so it also covers
    full-range yaw.

    Args:
        in_channels: channels of the pooled feature.
        hidden_channels: width of the MLP's hidden layer.
        dropout: dropout probability before the output layer.
        codec: how outputs are decoded into rotations (and targets encoded).
        loss: the loss config; it is called as ``loss(pred_rotations, gt_rotations)``.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self, in_channels: int, hidden_channels: int = 256, dropout: float = 0.0,
                 codec: dict = dict(type='Rot6DCodec'),
                 loss: dict = dict(type='GeodesicLoss', loss_weight=1.0),
                 init_cfg: Optional[dict] = dict(type='Normal', layer='Linear', std=0.01)):
        super().__init__(init_cfg=init_cfg)
        self.codec = TASK_UTILS.build(codec)
        self.mlp = nn.Sequential(
            nn.Linear(in_channels, hidden_channels),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden_channels, self.codec.num_outputs))
        self.loss_module = MODELS.build(loss)

    def init_weights(self) -> None:
        """Normal weights, then an output bias that starts the prediction at the identity."""
        super().init_weights()
        with torch.no_grad():
            self.mlp[-1].bias.copy_(self.codec.encode(torch.eye(3)[None])[0])

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """The last pooled feature (N, C) -> (N, 6) raw outputs."""
        x = feats[-1] if isinstance(feats, (list, tuple)) else feats
        return self.mlp(x)

    def loss(self, feats: Sequence[torch.Tensor],
             data_samples: List[HeadPoseDataSample]) -> dict:
        """The rotation loss, and for the log the batch's mean Euler-angle error (degrees).

        Args:
            feats: the neck's outputs.
            data_samples: one sample per crop with its one head in ``gt_instances``; a
                batch of pairs
                (``PairDataset``) is simply a batch of twice as many images here.

        Returns:
            ``loss_rotation`` (summed into the total loss) and ``mae`` (logged only).
        """
        rotations, angles = self.codec.decode(self.forward(feats))
        gt_rotations = crop_rotations(data_samples).to(rotations)
        losses = dict(loss_rotation=self.loss_module(rotations, gt_rotations))
        with torch.no_grad():
            gt_angles = matrix_to_euler(gt_rotations.double(), self.codec.full_range)
            losses['mae'] = (angles.double() - gt_angles).abs().mean().to(rotations)
        return losses

    def predict(self, feats: Sequence[torch.Tensor], data_samples: List[HeadPoseDataSample],
                flipped_feats: Optional[Sequence[torch.Tensor]] = None
                ) -> List[InstanceData]:
        """Per crop, its one head: ``rotations`` (1, 3, 3) and ``poses`` (1, 3) = (yaw,
        pitch, roll) in degrees.

        With ``flipped_feats`` (``test_cfg=dict(flip_test=True)``) the outputs are merged
        with those of the flipped crops by the codec's ``merge_flip`` before decoding.
        """
        outputs = self.forward(feats)
        if flipped_feats is not None:
            outputs = self.codec.merge_flip(outputs, self.forward(flipped_feats))
        rotations, angles = self.codec.decode(outputs.detach().float())
        return [InstanceData(rotations=rot[None], poses=ang[None])
                for rot, ang in zip(rotations, angles)]


__all__ = ['Rot6DHead']
