"""The TensorBoard config of docs/advanced_guides/customize_runtime.md: merged right, and used.

Training with it needs TensorBoard; that part is skipped where it is not installed.
"""

import glob
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from headpose.testing import REPO_ROOT, load_script, tool_env

DOC = 'docs/advanced_guides/customize_runtime.md'
SNIPPET = 'my_configs/r18_tensorboard_synthheads.py'


def doc_tests():
    return load_script(osp.join(osp.dirname(__file__), 'test_doc_commands.py'),
                       'headpose_doc_commands')


@pytest.fixture(scope='module')
def snippet(tmp_path_factory):
    """The doc's config, written where its _base_ path resolves; returns its path."""
    module = doc_tests()
    with open(osp.join(REPO_ROOT, DOC)) as f:
        blocks = module.parse_blocks(DOC, f.read())
    (block, ) = [b for b in blocks if b.target == SNIPPET]
    root = tmp_path_factory.mktemp('tb')
    os.symlink(osp.join(REPO_ROOT, 'configs'), root / 'configs')
    (root / 'my_configs').mkdir()
    (root / SNIPPET).write_text(block.text)
    return str(root / SNIPPET), module.FAST


def test_snippet_adds_tensorboard_and_keeps_the_json_log(snippet):
    cfg = Config.fromfile(snippet[0])
    assert [b['type'] for b in cfg.visualizer.vis_backends] == ['LocalVisBackend',
                                                              'TensorboardVisBackend']
    assert cfg.visualizer.type == 'HeadPoseVisualizer'


def test_training_writes_tensorboard_events(snippet, tmp_path):
    if importlib.util.find_spec('tensorboard') is None:
        pytest.skip('tensorboard is not installed (pip install tensorboard to run this test)')
    path, fast = snippet
    work = str(tmp_path / 'run')
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', path, '--work-dir', work, '--cfg-options', *fast,
         'train_cfg.max_epochs=1', 'train_cfg.val_interval=1'],
        cwd=REPO_ROOT, env=tool_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert glob.glob(osp.join(work, '*', 'vis_data', '**', 'events.out.tfevents.*'),
                     recursive=True)
    assert glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
