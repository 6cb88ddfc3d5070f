"""Tests of the registries: resolution by scope, helpful errors, plugins via custom_imports."""

import os.path as osp
import sys

import pytest
from mmengine.config import Config

from headpose.registry import DATASETS, MODELS, TRANSFORMS
from headpose.testing import REPO_ROOT


def test_types_resolve_without_imports():
    assert MODELS.get('RankPoseHead').__name__ == 'RankPoseHead'
    assert DATASETS.get('SynthHeadsDataset').__name__ == 'SynthHeadsDataset'
    # mmcv's transforms resolve too (headpose.datasets.transforms imports them).
    assert TRANSFORMS.get('Resize') is not None


def test_unknown_type_names_registry_type_and_closest():
    with pytest.raises(KeyError) as err:
        MODELS.build(dict(type='RankPoseHed', in_channels=4))
    msg = str(err.value)
    assert "'RankPoseHed'" in msg and 'headpose::model' in msg and 'RankPoseHead' in msg


def test_custom_imports_registers_an_outside_module():
    plugin_dir = osp.join(REPO_ROOT, 'tests', 'data', 'plugin')
    sys.path.insert(0, plugin_dir)
    try:
        cfg = Config.fromfile(osp.join(REPO_ROOT, 'tests/data/configs/plugin_loss.py'))
        model = MODELS.build(cfg.model)
        assert type(model.head.loss_module).__name__ == 'PluginL1Loss'
    finally:
        sys.path.remove(plugin_dir)
