"""RankPose's pose head: a bounded cosine / arccos output layer, MSE and ranking losses."""

from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmengine.structures import InstanceData

from headpose.registry import MODELS, TASK_UTILS
from headpose.structures import HeadPoseDataSample

TRANSFORMS = ('linear', 'cosine', 'arccos')


@MODELS.register_module()
class RankPoseHead(BaseModule):
    """Regresses (yaw, pitch, roll) from a pooled feature (Dai et al., BMVC 2020).

    With ``F`` the L2-normalised feature and ``W`` the output weights with
    L2-normalised columns (one per angle), the outputs in degrees are
    ``alpha * W^T F`` (``'cosine'``, eq. 2, alpha = 90), ``arccos(W^T F) - 90``
    (``'arccos'``, eq. 3), or a plain linear layer ``W^T F + b`` on the raw feature
    (``'linear'``, eq. 1). The bounded forms can only output angles in (-90, 90).

    The reach of the bounded forms depends on the feature's signs: a backbone's pooled
    feature after a ReLU is non-negative, and for ``F >= 0`` the largest ``cos(F, w)``
    is ``|w+| / |w|`` (``w+`` the positive part of ``w``), the smallest
    ``-|w-| / |w|``. An angle can therefore not span (-90, 90): with ``|w+| = |w-|``
    the cosine form stays within +-63.6 degrees (90 / sqrt(2)), the arccos form within
    +-45. ``feat_norm_cfg`` (e.g. ``dict(type='BN1d')``) normalises the feature before
    the output layer; centred features of either sign lift that limit. The paper's
    eq. 2-3 have no such layer, so it is off by default (configs/rankpose/README.md).

    Training loss (eq. 7): ``loss`` (MSE, weight beta) on every image, plus
    ``loss_rank`` (pairwise ranking, weight 1 - beta) over pairs when the batch is
    made of pairs (see ``PairDataset``). Partial labels (``gt_instances.angle_weights``,
    see ``PackHeadPoseInputs``) weigh both: the codec maps them onto its outputs
    (``encode_weights``), MSE counts only what is known and a pair is ranked only along
    the angles both of its images know.

    Args:
        in_channels: channels of the pooled feature.
        output_transform: ``'linear'``, ``'cosine'`` or ``'arccos'``.
        alpha: the cosine transform's scale in degrees.
        feat_norm_cfg: a norm layer config (mmcv's ``build_norm_layer``, e.g.
            ``dict(type='BN1d')``) applied to the pooled feature first, or ``None``.
        codec: how targets are encoded from rotations and outputs decoded.
        loss: the regression loss config.
        loss_rank: the ranking loss config, or ``None`` for MSE only.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self, in_channels: int, output_transform: str = 'arccos', alpha: float = 90.0,
                 feat_norm_cfg: Optional[dict] = None,
                 codec: dict = dict(type='EulerCodec'),
                 loss: dict = dict(type='MSELoss', loss_weight=0.5),
                 loss_rank: Optional[dict] = dict(type='PairwiseRankingLoss', loss_weight=0.5),
                 init_cfg: Optional[dict] = dict(type='Normal', layer='Linear', std=0.01)):
        super().__init__(init_cfg=init_cfg)
        if output_transform not in TRANSFORMS:
            raise ValueError(f'RankPoseHead: output_transform must be one of {TRANSFORMS}, '
                             f'got {output_transform!r}')
        self.output_transform = output_transform
        self.alpha = alpha
        self.feat_norm = (build_norm_layer(feat_norm_cfg, in_channels)[1]
                          if feat_norm_cfg is not None else None)
        self.codec = TASK_UTILS.build(codec)
        self.fc = nn.Linear(in_channels, self.codec.num_outputs,
                            bias=output_transform == 'linear')
        self.loss_module = MODELS.build(loss)
        self.loss_rank = MODELS.build(loss_rank) if loss_rank is not None else None

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """The last pooled feature (N, C) -> (N, 3) angles in degrees."""
        x = feats[-1] if isinstance(feats, (list, tuple)) else feats
        if self.feat_norm is not None:
            x = self.feat_norm(x)
        if self.output_transform == 'linear':
            return self.fc(x)
        # float32 under autocast: a half-precision product can round beyond 1 (arccos NaN)
        with torch.autocast(device_type=x.device.type, enabled=False):
            cos = F.linear(F.normalize(x.float(), dim=1),
                           F.normalize(self.fc.weight.float(), dim=1))
            if self.output_transform == 'cosine':
                return self.alpha * cos
            eps = 1e-6
            return torch.rad2deg(torch.arccos(cos.clamp(-1 + eps, 1 - eps))) - 90.0

    def loss(self, feats: Sequence[torch.Tensor],
             data_samples: List[HeadPoseDataSample]) -> dict:
        """The losses of eq. 7 (and the batch's MAE in degrees, for the log)."""
        preds = self.forward(feats)
        rotations = crop_rotations(data_samples).to(preds)
        targets = self.codec.encode(rotations)
        weights = crop_angle_weights(data_samples)
        if weights is not None:
            weights = self.codec.encode_weights(weights.to(preds))
        # the weights are passed only when there are some: a loss of one's own that
        # knows nothing of partial labels keeps working on fully labelled data
        losses = dict(loss_mse=self.loss_module(
            preds, targets, *(() if weights is None else (weights, ))))
        if self.loss_rank is not None:
            n = pair_split(data_samples)
            pair_weights = () if weights is None else (weights[:n], weights[n:])
            losses['loss_rank'] = self.loss_rank(preds[:n], preds[n:], targets[:n], targets[n:],
                                                 *pair_weights)
        with torch.no_grad():
            err = (preds - targets).abs()
            losses['mae'] = err.mean() if weights is None else \
                (err * weights).sum() / weights.sum().clamp(min=1e-6)
        return losses

    def predict(self, feats: Sequence[torch.Tensor], data_samples: List[HeadPoseDataSample],
                flipped_feats: Optional[Sequence[torch.Tensor]] = None
                ) -> List[InstanceData]:
        """Per crop, an ``InstanceData`` of its one head: ``rotations`` (1, 3, 3) and
        ``poses`` (1, 3) = (yaw, pitch, roll) in degrees.

        With ``flipped_feats`` (the features of the horizontally flipped crops), the
        outputs are merged with the flipped crops' outputs mapped back by the flip rule
        (``codec.merge_flip``; for Euler angles the mean after yaw -> -yaw,
        roll -> -roll): flip testing.
        """
        preds = self.forward(feats)
        if flipped_feats is not None:
            preds = self.codec.merge_flip(preds, self.forward(flipped_feats))
        rotations, angles = self.codec.decode(preds.detach().float())
        return [InstanceData(rotations=rot[None], poses=ang[None])
                for rot, ang in zip(rotations, angles)]


def crop_rotations(data_samples: List[HeadPoseDataSample]) -> torch.Tensor:
    """The ``(N, 3, 3)`` rotation labels of N crops, each with exactly one ground truth."""
    counts = [len(s.gt_instances) for s in data_samples]
    if any(c != 1 for c in counts):
        raise ValueError(f'a top-down head needs one ground-truth head per crop '
                         f'(gt_instances), got {counts}')
    return torch.cat([s.gt_instances.rotations for s in data_samples])


def crop_angle_weights(data_samples: List[HeadPoseDataSample]) -> Optional[torch.Tensor]:
    """The ``(N, 3)`` weights of the (yaw, pitch, roll) labels of N crops (partial labels,
    ``gt_instances.angle_weights``; 1 for a crop without them), or ``None`` when no crop
    of the batch has them."""
    if not any('angle_weights' in s.gt_instances for s in data_samples):
        return None
    device = data_samples[0].gt_instances.rotations.device  # the batch's (GPU or CPU)
    return torch.cat([s.gt_instances.angle_weights.to(device)
                      if 'angle_weights' in s.gt_instances
                      else torch.ones(len(s.gt_instances), 3, device=device)
                      for s in data_samples])


def pair_split(data_samples: List[HeadPoseDataSample]) -> int:
    """Checks that a batch is N first images then their N partners; returns N."""
    roles = [s.metainfo.get('pair_role') for s in data_samples]
    n = len(roles) // 2
    if roles != [0] * n + [1] * n:
        raise ValueError(
            'loss_rank needs a batch of pairs: wrap the training dataset in '
            "dict(type='PairDataset', dataset=...) or set the head's loss_rank=None")
    return n


__all__ = ['RankPoseHead', 'crop_angle_weights', 'crop_rotations', 'pair_split']
