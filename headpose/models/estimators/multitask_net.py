"""Multitask-Net: one network that detects every head in an image and estimates its pose."""

import torch

from headpose.registry import MODELS

from .base import BasePoseEstimator


@MODELS.register_module()
class MultiTaskNet(BasePoseEstimator):
    """Backbone (``Darknet``) -> neck (``YOLOV3Neck``) -> ``MultiTaskHead`` (box and pose
    branches).

    It only routes: the head owns the losses, the decoding and the coupling of its two
    branches. Predictions are ``pred_instances`` with ``bboxes`` (original image pixels),
    ``scores``, ``labels``, ``rotations`` and ``poses``. With
    ``test_cfg=dict(flip_test=True)`` the input width must be a multiple of the largest
    stride (32). See :class:`BasePoseEstimator` for the arguments.
    """

    def flip_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        self.head.check_flip_width(inputs.shape[-1])
        return inputs.flip(-1)


__all__ = ['MultiTaskNet']
