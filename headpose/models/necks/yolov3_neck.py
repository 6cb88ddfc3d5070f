"""YOLOv3's neck: a feature pyramid from stride 32 down to stride 8."""

from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from headpose.registry import MODELS

from ..backbones.darknet import ConvBNLeaky


class DetectionBlock(nn.Sequential):
    """Five convolutions alternating 1x1 (``channels``) and 3x3 (``2 * channels``)."""

    def __init__(self, in_channels: int, channels: int):
        super().__init__(
            ConvBNLeaky(in_channels, channels, 1),
            ConvBNLeaky(channels, channels * 2, 3),
            ConvBNLeaky(channels * 2, channels, 1),
            ConvBNLeaky(channels, channels * 2, 3),
            ConvBNLeaky(channels * 2, channels, 1))


@MODELS.register_module()
class YOLOV3Neck(BaseModule):
    """Top-down FPN of YOLOv3 over the backbone's stride 8, 16 and 32 maps.

    The deepest map goes through a :class:`DetectionBlock`; its output is reduced by
    a 1x1 convolution, upsampled by 2, concatenated with the next shallower
    backbone map and goes through the next block, and so on.

    Args:
        in_channels: channels of the backbone maps, deepest first (e.g. 1024, 512, 256).
        out_channels: channels of the outputs, deepest first (e.g. 512, 256, 128).
        init_cfg: mmengine initialisation config.

    Returns (forward):
        The maps of stride 32, 16 and 8 (deepest first), with ``out_channels``.
    """

    def __init__(self, in_channels: Sequence[int] = (1024, 512, 256),
                 out_channels: Sequence[int] = (512, 256, 128),
                 init_cfg: Optional[dict] = None):
        if init_cfg is None:
            init_cfg = [dict(type='Kaiming', layer='Conv2d', a=0.1, nonlinearity='leaky_relu'),
                        dict(type='Constant', val=1, layer=['_BatchNorm'])]
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(out_channels):
            raise ValueError(f'YOLOV3Neck: {len(in_channels)} in_channels but '
                             f'{len(out_channels)} out_channels')
        self.in_channels = list(in_channels)
        self.out_channels = list(out_channels)
        self.blocks = nn.ModuleList([DetectionBlock(in_channels[0], out_channels[0])])
        self.laterals = nn.ModuleList()
        for i in range(1, len(in_channels)):
            self.laterals.append(ConvBNLeaky(out_channels[i - 1], out_channels[i], 1))
            self.blocks.append(DetectionBlock(in_channels[i] + out_channels[i], out_channels[i]))

    def forward(self, feats: Sequence[torch.Tensor]) -> tuple:
        """Backbone maps, shallowest first (stride 8, 16, 32) -> outputs, deepest first."""
        if len(feats) != len(self.in_channels):
            raise ValueError(f'YOLOV3Neck: expected {len(self.in_channels)} maps, '
                             f'got {len(feats)}')
        feats = list(feats)[::-1]
        x = self.blocks[0](feats[0])
        outs = [x]
        for lateral, block, skip in zip(self.laterals, self.blocks[1:], feats[1:]):
            up = F.interpolate(lateral(x), size=skip.shape[-2:], mode='nearest')
            x = block(torch.cat([up, skip], 1))
            outs.append(x)
        return tuple(outs)


__all__ = ['DetectionBlock', 'YOLOV3Neck']
