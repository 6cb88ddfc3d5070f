"""What the tools share: pinned dataloader memory only where a GPU takes the batches, and
the dataloader workers' tensor sharing strategy from env_cfg."""

import os

import pytest
import torch
from mmengine.config import Config

from headpose.utils.launch import pin_memory_on_gpu


def make_cfg():
    return Config(dict(train_dataloader=dict(batch_size=2),
                       val_dataloader=dict(batch_size=2, pin_memory=False),
                       test_dataloader=None))


def test_pin_memory_only_with_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = make_cfg()
    pin_memory_on_gpu(cfg)
    assert 'pin_memory' not in cfg.train_dataloader
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    pin_memory_on_gpu(cfg)
    assert cfg.train_dataloader.pin_memory is True
    assert cfg.val_dataloader.pin_memory is False  # the config's own choice is kept
    assert cfg.test_dataloader is None


def test_sharing_strategy_from_env_cfg():
    import torch.multiprocessing as mp

    from headpose.utils.launch import set_sharing_strategy, setup_run
    before = mp.get_sharing_strategy()
    try:
        cfg = Config(dict(env_cfg=dict(sharing_strategy='file_system')))
        setup_run(cfg, 'none')
        assert mp.get_sharing_strategy() == 'file_system'
        set_sharing_strategy(None)  # None keeps whatever is set
        assert mp.get_sharing_strategy() == 'file_system'
        with pytest.raises(ValueError, match="env_cfg.sharing_strategy: 'shm' is not one"):
            set_sharing_strategy('shm')
    finally:
        mp.set_sharing_strategy(before)


def _tool_config(options):
    import argparse

    from headpose.utils.launch import parse_tool_args, tool_config
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('--work-dir')
    args = parse_tool_args(parser, [TINY_CFG, '--cfg-options', *options], 'k=v')
    return tool_config(args)


TINY_CFG = 'tests/data/configs/tiny_rankpose_synthheads.py'


def test_cfg_options_are_checked(capsys):
    cfg = _tool_config(['train_cfg.max_epochs=1', '+my_setting=3'])
    assert cfg.train_cfg.max_epochs == 1 and cfg.my_setting == 3
    with pytest.raises(SystemExit, match="no top-level key 'trian_cfg'; did you mean "
                       "'train_cfg'"):
        _tool_config(['trian_cfg.max_epochs=1'])
    with pytest.raises(SystemExit, match='train_cfg.max_epochs: expects a number'):
        _tool_config(['train_cfg.max_epochs=two'])
    with pytest.raises(SystemExit):
        _tool_config(['max_epochs'])
    assert "'max_epochs' is not KEY=VALUE" in capsys.readouterr().err


def test_work_dir_lock(tmp_path, capsys):
    import json
    import socket
    import subprocess

    from headpose.utils.launch import LOCK_NAME, WorkDirLock
    work = str(tmp_path / 'w')
    lock_file = tmp_path / 'w' / LOCK_NAME
    with WorkDirLock(work):
        owner = json.loads(lock_file.read_text())
        assert owner['pid'] == os.getpid() and owner['host'] == socket.gethostname()
        with pytest.raises(SystemExit, match=f'in use by another run \\(pid {os.getpid()} '):
            WorkDirLock(work).acquire()
    assert not lock_file.exists()  # released
    with pytest.raises(RuntimeError):
        with WorkDirLock(work):
            raise RuntimeError('training failed')
    assert not lock_file.exists()  # released on failure too
    dead = subprocess.Popen(['true'])
    dead.wait()
    lock_file.write_text(json.dumps(dict(pid=dead.pid, host=socket.gethostname(),
                                         start='earlier', command='killed run')))
    with WorkDirLock(work):  # a stale lock (dead pid on this host) is taken over
        assert json.loads(lock_file.read_text())['pid'] == os.getpid()
    assert f'taking over the stale lock of work dir {work}' in capsys.readouterr().err
    assert sorted(os.listdir(work)) == []


def test_archived_last_checkpoint_names_the_archived_file(tmp_path):
    from headpose.utils.launch import archive_previous_run
    work = tmp_path / 'w'
    work.mkdir()
    (work / 'epoch_1.pth').write_bytes(b'weights')
    (work / 'last_checkpoint').write_text(str(work / 'epoch_1.pth'))
    first = archive_previous_run(str(work))
    assert open(os.path.join(first, 'last_checkpoint')).read() == \
        os.path.join(first, 'epoch_1.pth')
    (work / 'epoch_1.pth').write_bytes(b'weights of the next run')
    second = archive_previous_run(str(work))  # in the same second: a folder of its own
    assert second != first and open(os.path.join(first, 'epoch_1.pth'), 'rb').read() == \
        b'weights'
    assert sorted(os.listdir(work)) == ['previous_runs']


def test_start_notes_remove_the_leftovers_of_a_killed_save(tmp_path):
    from headpose.utils.launch import start_notes
    (tmp_path / '.epoch_2.pth.abcd1234.tmp').write_bytes(b'\0' * 2**20)
    (tmp_path / 'epoch_1.pth').write_bytes(b'kept')
    notes = start_notes(str(tmp_path))
    assert notes == [f'removed .epoch_2.pth.abcd1234.tmp (1.0 MiB) from {tmp_path}: the '
                     'temporary file of a checkpoint save that never finished (a run killed '
                     'while saving)']
    assert os.listdir(tmp_path) == ['epoch_1.pth'] and start_notes(str(tmp_path)) == []


def test_cfg_options_are_checked_against_their_consumers():
    from headpose.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    # CheckpointHook takes **kwargs and hands them to runner.save_checkpoint() at the first
    # save: the typo was found after a whole interval of training, with nothing saved.
    with pytest.raises(SystemExit, match=r"default_hooks.checkpoint.intervall: CheckpointHook "
                       r"takes no option 'intervall' \(did you mean 'interval'\?\) \(it hands "
                       r"other options to runner.save_checkpoint\(\)"):
        _tool_config(['default_hooks.checkpoint.intervall=1'])
    with pytest.raises(SystemExit, match="custom_hooks.1.every: RNGStateHook takes no option "
                       "'every'; it takes no options"):
        _tool_config(['custom_hooks.1.every=2'])
    with pytest.raises(SystemExit, match=r"model.backbone.depht: ResNet takes no option "
                       r"'depht' \(did you mean 'depth'\?\); its options: depth, "):
        _tool_config(['model.backbone.depht=18'])
    with pytest.raises(SystemExit, match=r"optim_wrapper.optimizer.lrr: Adam .*'lr'"):
        _tool_config(['optim_wrapper.optimizer.lrr=0.1'])
    with pytest.raises(SystemExit, match=r"train_cfg.max_epoch: EpochBasedTrainLoop .*"
                       r"'max_epochs'"):
        _tool_config(['train_cfg.max_epoch=1'])
    cfg = _tool_config(['default_hooks.checkpoint.interval=2', 'default_hooks.checkpoint.'
                        'save_last=False', 'model.backbone.depth=18',
                        'train_dataloader.batch_size=3', 'default_hooks.logger.interval=5'])
    assert cfg.default_hooks.checkpoint.save_last is False and cfg.model.backbone.depth == 18


FINISH_SCRIPT = '''
import atexit, os, sys
import torch.distributed as dist
from headpose.utils.launch import finish_distributed
dist.init_process_group('gloo', init_method='tcp://127.0.0.1:{port}', rank=0, world_size=1)
atexit.register(lambda: print('atexit handlers ran', flush=True))


class Witness:
    def __del__(self):
        print('interpreter finalized', flush=True)


witness = Witness()
print('unflushed output', end='')
finish_distributed()
print('finish_distributed returned')
'''


def test_finish_distributed_ends_without_finalizing_the_interpreter(tmp_path):
    """gloo's worker threads may drop a finished collective, and with it Python tensors,
    after the main thread has returned: during interpreter finalization that aborted the
    process ("terminate called without an active exception"). finish_distributed leaves
    with the atexit handlers run and the output flushed, but no finalization."""
    import socket
    import subprocess
    import sys

    from headpose.testing import REPO_ROOT, tool_env
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    script = tmp_path / 'finish.py'
    script.write_text(FINISH_SCRIPT.format(port=port))
    proc = subprocess.run([sys.executable, str(script)], cwd=REPO_ROOT, env=tool_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert 'unflushed output' in proc.stdout and 'atexit handlers ran' in proc.stdout
    assert 'finish_distributed returned' not in proc.stdout
    assert 'interpreter finalized' not in proc.stdout
