"""Tests of the Darknet backbone: stage strides and channels, widths, freezing."""

import pytest
import torch

from headpose.models.backbones import Darknet


def test_darknet53_shapes_and_channels():
    net = Darknet(depth=53, widen_factor=0.125, init_cfg=None)
    outs = net(torch.zeros(2, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [(2, 32, 8, 12), (2, 64, 4, 6), (2, 128, 2, 3)]
    assert net.out_channels == [32, 64, 128]
    # Residual blocks per stage: 1, 2, 8, 8, 4 (53 layers with the convs and the classifier).
    assert [len(getattr(net, f'stage{i}')) - 1 for i in range(1, 6)] == [1, 2, 8, 8, 4]
    full = Darknet(init_cfg=None)
    assert full.out_channels == [256, 512, 1024]
    assert sum(p.numel() for p in full.parameters()) == pytest.approx(40.6e6, rel=0.01)


def test_out_indices_frozen_stages_and_errors():
    net = Darknet(widen_factor=0.125, out_indices=(0, 5), frozen_stages=2, init_cfg=None)
    outs = net(torch.zeros(2, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(2, 4, 64, 64), (2, 128, 2, 2)]
    net.train()
    assert not any(p.requires_grad for p in net.stage2.parameters())
    assert all(p.requires_grad for p in net.stage3.parameters())
    assert not net.stem[1].training and net.stage3[0][1].training
    with pytest.raises(KeyError, match='depth'):
        Darknet(depth=21)
    with pytest.raises(ValueError, match='out_indices'):
        Darknet(out_indices=(6, ))
