"""Helpers for tests: repository paths, configs, tiny models and seeded demo inputs."""

import importlib.util
import os
import os.path as osp
from types import ModuleType
from typing import Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

from headpose.structures import HeadPoseDataSample, euler_to_matrix

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: The real samples of the public datasets (research-only; never copied into the repo).
REAL_SAMPLES = osp.join(REPO_ROOT, '..', 'shared', 'data', 'real_samples')


def tool_env(extra: Optional[dict] = None) -> dict:
    """The environment that tests run the tools in: one thread, the repository importable.

    Args:
        extra: variables to add or replace (e.g. ``PYTHONPATH`` with a plugin's folder).
    """
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO_ROOT)
    env.update(extra or {})
    return env


def load_script(relpath: str, name: Optional[str] = None) -> ModuleType:
    """Imports a script of the repository (``tools/...``, ``demo/...``) by its path.

    Scripts are not modules of the package; tests call their functions (``main``,
    ``parse_args``, helpers) after loading them from their file.

    Args:
        relpath: the script's path relative to the repository root.
        name: the module's name (default: the file's stem).
    """
    path = osp.join(REPO_ROOT, relpath)
    spec = importlib.util.spec_from_file_location(
        name or osp.splitext(osp.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def get_config(path: str) -> Config:
    """Loads a config by its path relative to ``configs/`` (e.g. ``rankpose/x.py``)."""
    return Config.fromfile(osp.join(REPO_ROOT, 'configs', path))


def tiny_rankpose_cfg(output_transform: str = 'arccos', rank: bool = True) -> dict:
    """A small RankPose model config (ResNet18, no initialisation from files)."""
    return dict(
        type='TopDownPoseEstimator',
        data_preprocessor=dict(type='HeadPoseDataPreprocessor'),
        backbone=dict(type='ResNet', depth=18),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='RankPoseHead', in_channels=512, output_transform=output_transform,
                  loss_rank=dict(type='PairwiseRankingLoss', loss_weight=0.5) if rank else None))


def demo_batch(n: int = 4, size: int = 32, seed: int = 0, paired: bool = False,
               angles: Optional[np.ndarray] = None) -> dict:
    """A seeded batch as a dataloader yields it: uint8 images and data samples."""
    rng = np.random.default_rng(seed)
    if angles is None:
        angles = rng.uniform(-60, 60, (n, 3))
    samples = []
    for i, a in enumerate(angles):
        s = HeadPoseDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size)))
        s.gt_instances = InstanceData(
            rotations=torch.as_tensor(euler_to_matrix(a), dtype=torch.float32)[None],
            bboxes=torch.tensor([[0.0, 0.0, size, size]]))
        if paired:
            s.set_metainfo(dict(pair_role=int(i >= n // 2)))
        samples.append(s)
    imgs = [torch.as_tensor(rng.integers(0, 255, (3, size, size)), dtype=torch.uint8)
            for _ in range(n)]
    if paired:
        h = n // 2
        return dict(inputs=[imgs[:h], imgs[h:]], data_samples=[samples[:h], samples[h:]])
    return dict(inputs=imgs, data_samples=samples)
