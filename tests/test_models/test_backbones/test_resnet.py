"""Tests of the ResNet backbone: shapes, torchvision parameter names, pretrained loading."""

import pytest
import torch

from headpose.models.backbones import ResNet
from headpose.registry import MODELS


@pytest.mark.parametrize('depth,channels', [(18, 512), (34, 512), (50, 2048)])
def test_output_shapes(depth, channels):
    model = ResNet(depth=depth, out_indices=(0, 1, 2, 3))
    outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs][-1] == channels
    assert [o.shape[-1] for o in outs] == [16, 8, 4, 2]


def test_torchvision_parameter_names():
    keys = set(ResNet(depth=50).state_dict())
    for key in ('conv1.weight', 'bn1.running_mean', 'layer1.0.conv3.weight',
                'layer1.0.downsample.0.weight', 'layer1.0.downsample.1.running_var',
                'layer4.2.bn3.bias', 'layer3.5.conv2.weight'):
        assert key in keys
    assert not any(k.startswith('fc.') for k in keys)
    # ResNet-50 without fc has 318 tensors in torchvision's state dict (320 minus fc.weight/bias).
    assert len(keys) == 318


def test_pretrained_init_loads_weights_written_here(tmp_path):
    source = ResNet(depth=18)
    state = {k: v.clone() for k, v in source.state_dict().items()}
    state['fc.weight'] = torch.zeros(1000, 512)  # a classifier, as in an ImageNet file
    path = tmp_path / 'r18_imagenet.pth'
    torch.save(state, path)
    model = MODELS.build(dict(type='ResNet', depth=18,
                              init_cfg=dict(type='Pretrained', checkpoint=str(path))))
    model.init_weights()
    for k, v in source.state_dict().items():
        torch.testing.assert_close(model.state_dict()[k], v)


def test_frozen_stages_and_norm_eval():
    model = ResNet(depth=18, frozen_stages=1, norm_eval=True)
    model.train()
    assert not model.conv1.weight.requires_grad
    assert not any(p.requires_grad for p in model.layer1.parameters())
    assert all(p.requires_grad for p in model.layer2.parameters())
    assert not model.layer3[0].bn1.training


def test_invalid_depth():
    with pytest.raises(KeyError, match='depth'):
        ResNet(depth=19)


def test_zero_init_residual():
    model = ResNet(depth=50, zero_init_residual=True)
    model.init_weights()
    assert model.layer1[0].bn3.weight.abs().sum() == 0
    assert model.layer1[0].bn1.weight.abs().sum() > 0
    basic = ResNet(depth=18, zero_init_residual=True)
    basic.init_weights()
    assert basic.layer2[1].bn2.weight.abs().sum() == 0
