"""What the tools share: pinned dataloader memory only where a GPU takes the batches, and
the dataloader workers' tensor sharing strategy from env_cfg."""

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
