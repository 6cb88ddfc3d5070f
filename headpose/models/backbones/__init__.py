"""Backbones."""

from .resnet import ResNet

__all__ = ['ResNet']
from .darknet import Darknet  # noqa: E402

__all__ += ['Darknet']
