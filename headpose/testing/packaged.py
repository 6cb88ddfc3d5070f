"""A tiny packaged model for tests: trained a few iterations, packaged in a temporary folder.

No trained model ships with the repository's tests; the tests of everything that loads a
packaged model (the inferencer's default, the demos, the web page, ``tools/test.py``)
build this one with the same tools a user runs, and point the code at it (a path, or
``$HEADPOSE_MODEL_ZOO``).
"""

import os.path as osp
import subprocess
import sys

from . import REPO_ROOT, load_script, tool_env

#: The tiny RankPose run (32 px crops) that the tool tests train.
TINY_CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs', 'tiny_rankpose_synthheads_iters.py')


def train_tiny_checkpoint(work_dir: str, iters: int = 3) -> str:
    """Trains the tiny config for ``iters`` iterations with ``tools/train.py``; returns the
    checkpoint's path."""
    proc = subprocess.run(
        [sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'), TINY_CONFIG, '--work-dir',
         work_dir, '--cfg-options', f'train_cfg.max_iters={iters}',
         f'default_hooks.checkpoint.interval={iters}'],
        env=tool_env(), capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f'tools/train.py failed:\n{proc.stdout[-2000:]}\n'
                           f'{proc.stderr[-2000:]}')
    return osp.join(work_dir, f'iter_{iters}.pth')


def make_tiny_packaged_model(folder: str, name: str = 'tiny', evaluate: bool = False) -> str:
    """Trains the tiny model and packages it as ``folder/name`` with
    ``tools/deployment/package_model.py`` (no evaluation and no timing unless
    ``evaluate``); returns the path of its ``model.pth``."""
    ckpt = train_tiny_checkpoint(osp.join(folder, 'work'))
    out_dir = osp.join(folder, name)
    tool = load_script('tools/deployment/package_model.py', 'package_model')
    extra = [] if evaluate else ['--no-eval', '--speed-iters', '0']
    status = tool.main([TINY_CONFIG, ckpt, '--name', name, '--out-dir', out_dir, *extra])
    if status != 0:
        raise RuntimeError(f'package_model.py exited with {status}')
    return osp.join(out_dir, 'model.pth')


__all__ = ['TINY_CONFIG', 'make_tiny_packaged_model', 'train_tiny_checkpoint']
