"""tools/train.py and tools/test.py with the CPU Multitask-Net config, on a tiny run."""

import os.path as osp

import pytest
import torch

from headpose.testing import REPO_ROOT, load_script

CONFIG = osp.join(REPO_ROOT, 'configs/multitask_net/d53-w025_vector_synthheads.py')
TINY = ['train_cfg.max_iters=3', 'train_cfg.val_interval=100', 'train_dataloader.batch_size=2',
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        'train_dataloader.dataset.num_samples=6', 'default_hooks.checkpoint.interval=3',
        'default_hooks.logger.interval=1']


def tool(name):
    return load_script(f'tools/{name}.py', name)


@pytest.fixture
def one_thread():
    # Small convolutions run faster on one thread, and much faster on a busy machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_train_then_test(tmp_path, one_thread):
    work = str(tmp_path / 'run')
    tool('train').main([CONFIG, '--work-dir', work, '--cfg-options'] + TINY)
    ckpt = osp.join(work, 'iter_3.pth')
    assert osp.isfile(ckpt)
    metrics = tool('test').main([CONFIG, ckpt, '--work-dir', work, '--cfg-options',
                                 'test_dataloader.dataset.num_samples=4',
                                 'test_dataloader.batch_size=2'])
    assert {'headpose/AP', 'headpose/AP50', 'headpose/num_unmatched_gt', 'headpose/MAE',
            'headpose/frontal_MAE', 'headpose/back_MAE'} <= set(metrics)
    assert metrics['headpose/num_gt'] > 0
