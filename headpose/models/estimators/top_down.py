"""The top-down estimator: one head crop in, one pose out."""

from typing import List

import torch
from mmengine.structures import InstanceData

from headpose.registry import MODELS
from headpose.structures import HeadPoseDataSample

from .base import BasePoseEstimator


@MODELS.register_module()
class TopDownPoseEstimator(BasePoseEstimator):
    """Backbone -> neck -> pose head, for crops of one head each (RankPose).

    A crop is an image with one instance: the head's ``predict`` gives ``rotations``
    (1, 3, 3) and ``poses`` (1, 3) per crop, and this estimator adds the box the crop
    was cut around, in the original image's pixels (``bboxes`` from the meta field
    ``ori_bbox``, or the whole input) and its ``scores`` (the meta field ``bbox_score``,
    e.g. a detector's, else 1). See :class:`BasePoseEstimator` for the arguments.
    """

    def add_pred_to_datasample(self, results: List[InstanceData],
                               data_samples: List[HeadPoseDataSample]
                               ) -> List[HeadPoseDataSample]:
        for sample, inst in zip(data_samples, results):
            add_crop_boxes(inst, sample.metainfo)
        return super().add_pred_to_datasample(results, data_samples)


def add_crop_boxes(inst: InstanceData, meta: dict) -> InstanceData:
    """Gives a crop's predicted heads the box the crop was cut around, in original image
    pixels (``ori_bbox``, else the whole input), and its score (``bbox_score``, else 1)."""
    box = meta.get('ori_bbox')
    if box is None:
        h, w = meta.get('img_shape', (0, 0))[:2]
        box = (0.0, 0.0, float(w), float(h))
    k = len(inst)
    inst.bboxes = torch.as_tensor(box, dtype=torch.float32).reshape(1, 4).repeat(k, 1)
    inst.scores = torch.full((k, ), float(meta.get('bbox_score', 1.0)))
    return inst


__all__ = ['TopDownPoseEstimator', 'add_crop_boxes']
