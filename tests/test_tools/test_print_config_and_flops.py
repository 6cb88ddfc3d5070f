"""Tests of tools/misc/print_config.py and tools/analysis_tools/get_flops.py."""

import os.path as osp

import pytest
from mmengine.config import Config

from headpose.testing import REPO_ROOT, load_script

TINY = osp.join(REPO_ROOT, 'tests/data/configs/tiny_rankpose_synthheads.py')
QUICKSTART = osp.join(REPO_ROOT, 'configs/rankpose/r18_arccos_synthheads.py')


def load_tool(*parts):
    return load_script(osp.join('tools', *parts), 'tool_' + parts[-1][:-3])


def test_print_config_resolves_bases_and_options(tmp_path, capsys):
    tool = load_tool('misc', 'print_config.py')
    saved = str(tmp_path / 'resolved.py')
    text = tool.main([QUICKSTART, '--cfg-options', 'train_cfg.max_epochs=3',
                      'model.head.alpha=45.0', '--save-path', saved])
    assert capsys.readouterr().out.strip() == text.strip()
    # Bases merged: the model, data and schedule of the _base_ files are spelt out.
    for piece in ("type='RankPoseHead'", "type='SynthHeadsDataset'", 'depth=18',
                  "type='CosineAnnealingLR'", "default_scope = 'headpose'", 'max_epochs=3',
                  'alpha=45.0'):
        assert piece in text, piece
    # The printed config is a config: read back, it is the merged one.
    back = Config.fromfile(saved)
    assert back.train_cfg.max_epochs == 3 and back.model.head.alpha == 45.0
    assert back.model.backbone == Config.fromfile(QUICKSTART).model.backbone
    with pytest.raises(SystemExit, match='config file not found'):
        tool.main([str(tmp_path / 'missing.py')])


def resnet18_macs(side: int) -> int:
    """Multiply-adds of ResNet-18's convolutions for a side x side input, by hand."""
    def conv(cin, cout, k, hw):
        return cin * cout * k * k * hw * hw
    s = side // 2          # conv1, stride 2
    total = conv(3, 64, 7, s)
    s //= 2                # max pooling
    total += 4 * conv(64, 64, 3, s)
    cin = 64
    for cout in (128, 256, 512):
        s //= 2
        total += conv(cin, cout, 3, s) + conv(cout, cout, 3, s) + conv(cin, cout, 1, s)
        total += 2 * conv(cout, cout, 3, s)
        cin = cout
    return total


def test_get_flops_matches_a_hand_count(capsys):
    tool = load_tool('analysis_tools', 'get_flops.py')
    cfg = Config.fromfile(TINY)
    assert tool.input_shape_of(cfg) == (32, 32)  # the test pipeline's CropHead
    assert tool.input_shape_of(cfg, [48, 40]) == (48, 40)
    result = tool.main([TINY])
    hand = resnet18_macs(32)  # 37.0 M; the head's 512 x 3 and the poolings add little
    assert hand == 37_011_456
    assert 0.98 * hand < result['flops'] < 1.05 * hand
    # Parameters: ResNet-18 without its classifier (11,176,512) + the 512 x 3 head.
    assert result['params'] == 11_176_512 + 512 * 3
    out = capsys.readouterr().out
    assert '3 x 32 x 32' in out and f'flops={result["flops"]}' in out
    # Four times the pixels, four times the operations.
    bigger = tool.main([TINY, '--shape', '64'])
    assert bigger['shape'] == (64, 64)
    assert bigger['flops'] == pytest.approx(4 * result['flops'], rel=0.02)
