"""Darknet-53 (Redmon and Farhadi, 2018), the backbone of YOLOv3 and Multitask-Net."""

from typing import Optional, Sequence

import torch
import torch.nn as nn

from headpose.registry import MODELS

from .base_backbone import BaseBackbone
from .pretrained import mmdet_darknet_keys


class ConvBNLeaky(nn.Sequential):
    """Convolution (no bias), batch norm and leaky ReLU (slope 0.1): Darknet's unit."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2,
                      bias=False),
            nn.BatchNorm2d(out_channels),
            nn.LeakyReLU(0.1, inplace=True))


class ResBlock(nn.Module):
    """A 1x1 convolution to half the channels, a 3x3 back to all, plus the input."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = ConvBNLeaky(channels, channels // 2, 1)
        self.conv2 = ConvBNLeaky(channels // 2, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.conv1(x))


@MODELS.register_module()
class Darknet(BaseBackbone):
    """Darknet backbone: a 3x3 stem and five stages of a stride-2 3x3 conv + residual blocks.

    Stage ``i`` (1-5) has stride ``2**i``; the default ``out_indices=(3, 4, 5)``
    returns the stride 8, 16 and 32 maps, which YOLOv3's neck uses. Index 0 is the
    stem (stride 1).

    Args:
        depth: 53 (blocks 1, 2, 8, 8, 4; channels 64 ... 1024).
        widen_factor: multiplies every channel count, for small variants (e.g. 0.25).
        out_indices: which of the stem (0) and stages (1-5) to return.
        frozen_stages: stem and stages up to this index are frozen (-1: none).
        norm_eval: keep batch norms in eval mode while training.
        init_cfg: mmengine initialisation config. ``dict(type='Pretrained',
            checkpoint=URL_OR_PATH)`` loads MMDetection's Darknet-53 ImageNet weights
            (``open-mmlab://darknet53``, :data:`~.pretrained.OPENMMLAB_DARKNET53`; its
            names mapped by :func:`~.pretrained.mmdet_darknet_keys`) strictly: every
            backbone tensor must arrive (only at ``widen_factor=1``).
    """

    arch_settings = {53: ((1, 2, 8, 8, 4), (64, 128, 256, 512, 1024))}

    pretrained_keys = staticmethod(mmdet_darknet_keys)

    def __init__(self, depth: int = 53, widen_factor: float = 1.0,
                 out_indices: Sequence[int] = (3, 4, 5), frozen_stages: int = -1,
                 norm_eval: bool = False, init_cfg: Optional[dict] = None):
        if init_cfg is None:
            init_cfg = [dict(type='Kaiming', layer='Conv2d', a=0.1, nonlinearity='leaky_relu'),
                        dict(type='Constant', val=1, layer=['_BatchNorm'])]
        super().__init__(init_cfg=init_cfg)
        if depth not in self.arch_settings:
            raise KeyError(f'Darknet: invalid depth {depth}; choose one of '
                           f'{sorted(self.arch_settings)}')
        if not set(out_indices) <= set(range(6)):
            raise ValueError(f'Darknet: out_indices must be within 0..5, got {out_indices}')
        if widen_factor <= 0:
            raise ValueError(f'Darknet: widen_factor must be > 0, got {widen_factor}')
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        blocks, channels = self.arch_settings[depth]
        channels = [max(2, int(round(c * widen_factor))) for c in channels]
        stem = max(2, int(round(32 * widen_factor)))
        self.stem = ConvBNLeaky(3, stem, 3)
        in_channels = stem
        self.channels = [stem]
        for i, (n, c) in enumerate(zip(blocks, channels)):
            layers = [ConvBNLeaky(in_channels, c, 3, stride=2)]
            layers += [ResBlock(c) for _ in range(n)]
            self.add_module(f'stage{i + 1}', nn.Sequential(*layers))
            in_channels = c
            self.channels.append(c)
        #: channels of each returned map
        self.out_channels = [self.channels[i] for i in self.out_indices]
        self._freeze_stages()

    def _stages(self) -> list:
        return [self.stem] + [getattr(self, f'stage{i}') for i in range(1, 6)]

    def frozen_modules(self) -> list:
        return self._stages()[:self.frozen_stages + 1]

    def forward(self, x: torch.Tensor) -> tuple:
        outs = []
        for i, stage in enumerate(self._stages()):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)



__all__ = ['ConvBNLeaky', 'Darknet', 'ResBlock']
