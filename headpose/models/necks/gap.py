"""Global average pooling neck."""

from typing import Sequence, Union

import torch
import torch.nn as nn

from headpose.registry import MODELS


@MODELS.register_module()
class GlobalAveragePooling(nn.Module):
    """Averages each feature map over space: (N, C, H, W) -> (N, C), for every input level."""

    def forward(self, inputs: Union[torch.Tensor, Sequence[torch.Tensor]]) -> tuple:
        if isinstance(inputs, torch.Tensor):
            inputs = (inputs, )
        return tuple(x.mean(dim=(2, 3)) for x in inputs)
