"""Tests of HeadPoseRunner: every run has a log folder of its own."""

import os
import os.path as osp
import time

from mmengine.config import Config
from mmengine.registry import RUNNERS

from headpose.testing import REPO_ROOT
from headpose.utils import register_all_modules

TINY = osp.join(REPO_ROOT, 'tests/data/configs/tiny_rankpose_synthheads.py')


def test_two_runs_in_one_second_keep_their_own_log_folders(tmp_path, monkeypatch):
    register_all_modules(init_default_scope=False)
    monkeypatch.setattr(time, 'time', lambda: 1_800_000_000.0)  # one second for both runs
    runners = []
    for _ in range(2):  # e.g. two tools/test.py started together with one --work-dir
        cfg = Config.fromfile(TINY)
        cfg.work_dir = str(tmp_path)
        cfg.env_cfg.malloc_cfg = None
        runners.append(RUNNERS.build(cfg))
    first, second = runners
    assert first.log_dir != second.log_dir
    assert second.log_dir == first.log_dir + '_2' and second.timestamp == first.timestamp + '_2'
    for runner in runners:  # each writes its text log into its own folder
        runner.logger.info(f'run {runner.timestamp}')
        assert osp.isfile(osp.join(runner.log_dir, f'{runner.timestamp}.log'))
    folders = [n for n in os.listdir(tmp_path) if osp.isdir(tmp_path / n)]
    assert sorted(folders) == sorted([first.timestamp, second.timestamp])
