"""ResNet (He et al., 2016) with torchvision's parameter names, so ImageNet weights load."""

from typing import Optional, Sequence

import torch
import torch.nn as nn

from headpose.registry import MODELS

from .base_backbone import BaseBackbone
from .pretrained import torchvision_resnet_keys


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (ResNet-18/34)."""

    expansion = 1

    def __init__(self, in_channels: int, channels: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1, 3x3 (with the stride), 1x1 convolutions with a residual (ResNet-50/101)."""

    expansion = 4

    def __init__(self, in_channels: int, channels: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None):
        super().__init__()
        out_channels = channels * self.expansion
        self.conv1 = nn.Conv2d(in_channels, channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = nn.Conv2d(channels, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


@MODELS.register_module()
class ResNet(BaseBackbone):
    """ResNet backbone.

    Parameter names follow torchvision (``conv1``, ``bn1``, ``layer1.0.conv1``, ...,
    ``downsample.0``/``.1``), so ``init_cfg=dict(type='Pretrained', checkpoint=URL_OR_PATH)``
    loads a torchvision ImageNet state dict (e.g. :data:`~.pretrained.TORCHVISION_RESNET50`)
    strictly: every backbone tensor must arrive, the classifier's ``fc.*`` keys are
    ignored and logged (see :mod:`headpose.models.backbones.pretrained`).

    Args:
        depth: 18, 34, 50 or 101.
        out_indices: which stages (0-3) to return, as a tuple of feature maps.
        frozen_stages: stages whose parameters are frozen (-1: none; 0: the stem).
        norm_eval: keep BatchNorm layers in eval mode while training.
        zero_init_residual: start the last BatchNorm of every residual branch at zero,
            so each block begins as an identity (helps training from scratch).
        init_cfg: mmengine initialisation config.
    """

    arch_settings = {
        18: (BasicBlock, (2, 2, 2, 2)),
        34: (BasicBlock, (3, 4, 6, 3)),
        50: (Bottleneck, (3, 4, 6, 3)),
        101: (Bottleneck, (3, 4, 23, 3)),
    }

    pretrained_keys = staticmethod(torchvision_resnet_keys)

    def __init__(self, depth: int = 50, out_indices: Sequence[int] = (3, ),
                 frozen_stages: int = -1, norm_eval: bool = False,
                 zero_init_residual: bool = False, init_cfg: Optional[dict] = None):
        if init_cfg is None:
            init_cfg = [dict(type='Kaiming', layer='Conv2d'),
                        dict(type='Constant', val=1, layer=['_BatchNorm'])]
        super().__init__(init_cfg=init_cfg)
        if depth not in self.arch_settings:
            raise KeyError(f'ResNet: invalid depth {depth}; choose one of '
                           f'{sorted(self.arch_settings)}')
        if not set(out_indices) <= {0, 1, 2, 3}:
            raise ValueError(f'ResNet: out_indices must be within 0..3, got {out_indices}')
        self.depth = depth
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.zero_init_residual = zero_init_residual
        block, counts = self.arch_settings[depth]
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        in_channels = 64
        self.out_channels = []
        for i, count in enumerate(counts):
            channels = 64 * 2**i
            stride = 1 if i == 0 else 2
            downsample = None
            if stride != 1 or in_channels != channels * block.expansion:
                downsample = nn.Sequential(
                    nn.Conv2d(in_channels, channels * block.expansion, 1, stride, bias=False),
                    nn.BatchNorm2d(channels * block.expansion))
            layers = [block(in_channels, channels, stride, downsample)]
            in_channels = channels * block.expansion
            layers += [block(in_channels, channels) for _ in range(count - 1)]
            self.add_module(f'layer{i + 1}', nn.Sequential(*layers))
            self.out_channels.append(in_channels)
        self._freeze_stages()

    def init_weights(self) -> None:
        super().init_weights()
        if self.zero_init_residual and not self.pretrained:
            for m in self.modules():
                if isinstance(m, (BasicBlock, Bottleneck)):
                    last_bn = m.bn3 if isinstance(m, Bottleneck) else m.bn2
                    nn.init.zeros_(last_bn.weight)

    def frozen_modules(self) -> list:
        if self.frozen_stages < 0:
            return []
        return [self.conv1, self.bn1] + [getattr(self, f'layer{i}')
                                         for i in range(1, self.frozen_stages + 1)]

    def forward(self, x: torch.Tensor) -> tuple:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        outs = []
        for i in range(4):
            x = getattr(self, f'layer{i + 1}')(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

