"""A module outside the package that registers a loss, as a user's plugin would."""

import torch.nn as nn

from headpose.registry import MODELS


@MODELS.register_module()
class PluginL1Loss(nn.Module):
    """Mean absolute error, registered from outside headpose."""

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred, target):
        return self.loss_weight * (pred - target).abs().mean()
