"""Backbones."""

from .base_backbone import BaseBackbone
from .darknet import Darknet
from .resnet import ResNet

__all__ = ['BaseBackbone', 'Darknet', 'ResNet']
