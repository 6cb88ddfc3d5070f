"""Tests of the ImageNet weights: hub cache look-up, official key names, strict loading, errors."""

import os
import os.path as osp
import urllib.error

import pytest
import torch

from headpose.models.backbones import Darknet, ResNet
from headpose.models.backbones import pretrained as pt
from headpose.testing import get_config
from headpose.testing.pretrained import mmdet_darknet53_state, torchvision_resnet50_state


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """A temporary TORCH_HOME; returns its checkpoints folder (created empty)."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    folder = tmp_path / 'torch' / 'hub' / 'checkpoints'
    folder.mkdir(parents=True)
    return folder


def test_resnet50_every_tensor_arrives_from_the_hub_cache(hub):
    sd = torchvision_resnet50_state()
    torch.save(sd, hub / 'resnet50-0676ba61.pth')
    assert pt.hub_cache_path(pt.TORCHVISION_RESNET50) == str(hub / 'resnet50-0676ba61.pth')
    net = ResNet(depth=50, init_cfg=dict(type='Pretrained', checkpoint=pt.TORCHVISION_RESNET50))
    net.init_weights()
    own = net.state_dict()
    loaded = [k for k in own if not k.endswith('num_batches_tracked')]
    assert len(loaded) == len(sd) - 2  # all but fc.weight and fc.bias
    for k in loaded:
        assert torch.equal(own[k], sd[k]), k
    # Counters, when the file has them, arrive too.
    sd = torchvision_resnet50_state(counters=True)
    torch.save(sd, hub / 'resnet50-0676ba61.pth')
    net = ResNet(depth=50, init_cfg=dict(type='Pretrained', checkpoint=pt.TORCHVISION_RESNET50))
    net.init_weights()
    assert net.state_dict()['layer4.2.bn3.num_batches_tracked'].item() == 7
    assert torch.equal(net.layer4[2].bn3.running_var, sd['layer4.2.bn3.running_var'])


def test_missing_unexpected_and_misshapen_keys_are_errors(hub, tmp_path):
    path = str(tmp_path / 'r50.pth')
    cfg = dict(type='Pretrained', checkpoint=path)
    sd = torchvision_resnet50_state()
    del sd['layer3.5.conv2.weight']
    torch.save(sd, path)
    with pytest.raises(KeyError, match=r'1 missing \[.layer3.5.conv2.weight'):
        ResNet(depth=50, init_cfg=cfg).init_weights()
    sd = torchvision_resnet50_state()
    sd['layer5.0.conv1.weight'] = torch.zeros(1)
    torch.save(sd, path)
    with pytest.raises(KeyError, match=r'1 unexpected \[.layer5.0.conv1.weight'):
        ResNet(depth=50, init_cfg=cfg).init_weights()
    torch.save(torchvision_resnet50_state(), path)
    with pytest.raises(KeyError, match='another shape'):  # ResNet-50 weights into a ResNet-18
        ResNet(depth=18, init_cfg=cfg).init_weights()
    torch.save({'model': 3}, path)
    with pytest.raises(ValueError, match='state dict of tensors'):
        ResNet(depth=50, init_cfg=cfg).init_weights()


def test_no_file_no_network_names_file_place_and_way_out(hub, monkeypatch):
    net = ResNet(depth=50, init_cfg=dict(type='Pretrained', checkpoint=pt.TORCHVISION_RESNET50))
    with pytest.raises(pt.PretrainedWeightsError) as err:  # downloads forbidden (conftest)
        net.init_weights()
    msg = str(err.value)
    for part in ('resnet50-0676ba61.pth', str(hub), pt.TORCHVISION_RESNET50,
                 '--cfg-options model.backbone.init_cfg=None'):
        assert part in msg
    # With downloads allowed but no network: the error says so and leaves no file behind.
    monkeypatch.setenv('HEADPOSE_NO_DOWNLOAD', '0')

    def offline(url, dst, *args, **kwargs):
        raise urllib.error.URLError('no network')
    monkeypatch.setattr(torch.hub, 'download_url_to_file', offline)
    with pytest.raises(pt.PretrainedWeightsError, match='download failed.*no network'):
        net.init_weights()
    assert os.listdir(hub) == []
    with pytest.raises(pt.PretrainedWeightsError, match='no such file'):
        ResNet(init_cfg=dict(type='Pretrained', checkpoint='/nonexistent/r50.pth')).init_weights()


def test_darknet53_mmdet_names_map_onto_every_tensor(hub):
    sd = mmdet_darknet53_state()
    torch.save(dict(state_dict=sd, meta=dict(note='mmdet')), hub / 'darknet53-a628ea1b.pth')
    # open-mmlab://darknet53 is the same file (mmengine's table of URLs).
    assert pt.resolve_url('open-mmlab://darknet53') == pt.OPENMMLAB_DARKNET53
    net = Darknet(init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://darknet53'))
    net.init_weights()
    own = net.state_dict()
    assert len(own) == len(sd)
    assert torch.equal(own['stem.0.weight'], sd['conv1.conv.weight'])
    assert torch.equal(own['stem.1.running_mean'], sd['conv1.bn.running_mean'])
    assert torch.equal(own['stage3.0.0.weight'], sd['conv_res_block3.conv.conv.weight'])
    assert torch.equal(own['stage4.8.conv2.0.weight'], sd['conv_res_block4.res7.conv2.conv.weight'])
    assert torch.equal(own['stage5.4.conv1.1.bias'], sd['conv_res_block5.res3.conv1.bn.bias'])
    mapped, _ = pt.mmdet_darknet_keys(sd)
    for k in own:
        assert torch.equal(own[k], mapped[k]), k
    # A key of another form is not guessed at: it stays unexpected.
    assert 'conv_res_block1.conv.act.weight' in pt.mmdet_darknet_keys(
        {'conv_res_block1.conv.act.weight': torch.zeros(1)})[0]
    with pytest.raises(KeyError, match='another shape'):
        Darknet(widen_factor=0.25, init_cfg=dict(type='Pretrained',
                                                 checkpoint=pt.OPENMMLAB_DARKNET53)).init_weights()


def test_paper_configs_pretrained_quick_starts_from_scratch():
    for name in ('rankpose/r50_arccos_300wlp.py', 'rankpose/r50_linear-mse_300wlp.py',
                 'rankpose/r50_cosine_biwi-70-30.py', 'rankpose/r50_arccos_300wlp-biwi.py'):
        cfg = get_config(name).model.backbone.init_cfg
        assert cfg == dict(type='Pretrained', checkpoint=pt.TORCHVISION_RESNET50), name
    for name in ('multitask_net/d53_v2-vector_cmu-panoptic.py',
                 'multitask_net/d53_v1-tanh_cmu-panoptic.py',
                 'multitask_net/d53_v2-vector_biwi-70-30.py'):
        cfg = get_config(name).model.backbone.init_cfg
        assert cfg == dict(type='Pretrained', checkpoint=pt.OPENMMLAB_DARKNET53), name
    for name in ('rankpose/r18_arccos_synthheads.py',
                 'multitask_net/d53-w025_vector_synthheads.py'):
        assert get_config(name).model.backbone.init_cfg is None, name
    assert osp.basename(pt.TORCHVISION_RESNET50) == 'resnet50-0676ba61.pth'
