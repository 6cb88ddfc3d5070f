"""Every config of configs/ trains two steps and tests a few images, on SynthHeads.

No paper config can rot unseen: each is loaded as a user would, its data swapped for
SynthHeads (head crops for top-down models, scenes for Multitask-Net) at a tiny size,
its pretrained weights (if any) left out since nothing may be downloaded here, and then
trained for one epoch of two steps and tested on four images through mmengine's
Runner, with the config's own model, hooks, schedule and test metric.
"""

import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from headpose.models.estimators import has_trained_weights
from headpose.registry import RUNNERS
from headpose.testing import REPO_ROOT

CONFIGS = sorted(p for p in glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'),
                                      recursive=True) if '_base_' not in p)

CROP_PIPELINE = [dict(type='LoadImage'), dict(type='CropHead', input_size=(32, 32)),
                 dict(type='PackHeadPoseInputs')]
SCENE_PIPELINE = [dict(type='LoadImage'), dict(type='LetterBox', scale=(64, 64)),
                  dict(type='PackHeadPoseInputs')]


def crops(num: int, seed: int, paired: bool) -> dict:
    ds = dict(type='SynthHeadsDataset', num_samples=num, num_identities=2, seed=seed,
              img_size=48, pipeline=CROP_PIPELINE, test_mode=not paired)
    return dict(type='PairDataset', dataset=ds) if paired else ds


def scenes(num: int, seed: int, test: bool) -> dict:
    return dict(type='SynthHeadsScenesDataset', num_samples=num, seed=seed, img_size=(64, 64),
                num_heads=(1, 2), head_scale=(0.4, 0.6), pipeline=SCENE_PIPELINE,
                test_mode=test)


def loader(dataset: dict, batch: int) -> dict:
    return dict(batch_size=batch, num_workers=0, persistent_workers=False,
                sampler=dict(type='DefaultSampler', shuffle=False), dataset=dataset)


def tiny_run_config(path: str, work_dir: str) -> Config:
    """The config at ``path`` with SynthHeads data, tiny sizes and a one-epoch schedule."""
    cfg = Config.fromfile(path)
    topdown = cfg.model.type == 'TopDownPoseEstimator'
    cfg.model.backbone.init_cfg = None  # no download here: pretrained weights left out
    if topdown:
        paired = cfg.model.head.get('loss_rank') is not None or \
            cfg.train_dataloader.dataset.type == 'PairDataset'
        cfg.train_dataloader = loader(crops(4, 0, paired), 2)
        cfg.test_dataloader = loader(crops(4, 1, False), 4)
    else:
        cfg.train_dataloader = loader(scenes(4, 0, False), 2)
        cfg.test_dataloader = loader(scenes(4, 1, True), 4)
    for hook in cfg.get('custom_hooks') or []:
        if hook['type'] == 'TrainingPhaseHook':  # the phases' batch sizes, scaled down
            for phase in hook.get('phases', []):
                if phase.get('batch_size'):
                    phase['batch_size'] = 2
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=1000)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1000)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.work_dir = work_dir
    cfg.env_cfg.malloc_cfg = None
    return cfg


def test_every_config_is_covered():
    names = {osp.relpath(p, osp.join(REPO_ROOT, 'configs')) for p in CONFIGS}
    assert 'rankpose/r50_arccos_300wlp.py' in names
    assert 'multitask_net/d53_v2-vector_cmu-panoptic.py' in names
    assert len(names) >= 20


def trainable(path: str) -> bool:
    """Whether the config's model has weights to train (the landmark route has none)."""
    init_default_scope('headpose')
    return has_trained_weights(Config.fromfile(path).model)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_config_trains_and_tests_on_synthheads(path, tmp_path):
    torch.manual_seed(0)
    if not trainable(path):  # nothing to train: it is tested as it is, on SynthHeads crops
        cfg = Config.fromfile(path)
        cfg.test_dataloader = loader(crops(4, 1, False), 4)
        cfg.work_dir = str(tmp_path)
        runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
        metrics = runner.test()
        assert metrics['pose/num_images'] == 4
        return
    cfg = tiny_run_config(path, str(tmp_path))
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2  # two training steps, every loss finite
    metrics = runner.test()
    assert metrics, f'{path}: the test gave no metric'
