"""Protocol checks over every config: no checkpoint is chosen on a test set."""

import glob
import os.path as osp

import pytest

from headpose.testing import REPO_ROOT, get_config

CONFIGS = sorted(osp.relpath(p, osp.join(REPO_ROOT, 'configs'))
                 for p in glob.glob(osp.join(REPO_ROOT, 'configs', '*', '*.py'))
                 if '_base_' not in p)


@pytest.mark.parametrize('name', CONFIGS)
def test_no_config_selects_checkpoints_by_a_score(name):
    # Every config validates on the set it tests on (the papers publish no validation
    # split), so a `save_best` would pick the checkpoint on the test set.
    hooks = get_config(name).get('default_hooks', {})
    assert 'save_best' not in hooks.get('checkpoint', {}), name
