"""Train a headpose model: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]``."""

import argparse
import contextlib
import os
import os.path as osp
import sys

from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from headpose.utils import register_all_modules
from headpose.utils.checkpoint_io import latest_checkpoint
from headpose.utils.launch import (
    WorkDirLock,
    archive_previous_run,
    finish_distributed,
    parse_tool_args,
    setup_run,
    start_notes,
    tool_config,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a head pose model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and checkpoints')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision training: float16 with loss scaling on a CUDA GPU, '
                        'bfloat16 autocast on a CPU')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the total batch size')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT, or from the latest checkpoint in the work '
                        'dir if no path is given')
    parser.add_argument('--compile', action='store_true', help='torch.compile the backbone '
                        'and neck (CompileHook): paid for r50 on a CPU, not for the r18 '
                        'quick start (docs/benchmarks.md)')
    return parse_tool_args(parser, argv, 'train_cfg.max_epochs=2')


def build_cfg(args: argparse.Namespace):
    cfg = tool_config(args)
    if args.amp:
        import torch
        if torch.cuda.is_available():
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
        else:  # float16 autocast needs CUDA; the CPU's mixed precision is bfloat16
            print('--amp: no CUDA GPU; training under CPU bfloat16 autocast',
                  file=sys.stderr)
            cfg.optim_wrapper.type = 'headpose.CPUBFloat16OptimWrapper'
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise SystemExit(f'{args.config} has no auto_scale_lr.base_batch_size; '
                             '--auto-scale-lr cannot be used')
        cfg.auto_scale_lr.enable = True
    if args.compile:
        cfg.custom_hooks = [*(cfg.get('custom_hooks') or []), dict(type='CompileHook')]
    if args.resume == 'auto':
        if osp.isfile(osp.join(cfg.work_dir, 'last_checkpoint')):
            cfg.resume = True
            cfg.load_from = None
        else:  # mmengine would log "Auto resumed from the latest checkpoint None."
            path, why = latest_checkpoint(cfg.work_dir, checkpoint_prefix(cfg))
            if path is not None:
                print(f'--resume: {cfg.work_dir} has no last_checkpoint file; resuming from '
                      f'its newest complete checkpoint, {path}', file=sys.stderr)
                cfg.resume = True
                cfg.load_from = path
            else:
                print(f'warning: --resume: no checkpoint to resume in {cfg.work_dir}: {why}; '
                      'training starts from scratch', file=sys.stderr)
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise SystemExit(f'--resume: checkpoint not found: {args.resume}')
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def checkpoint_prefix(cfg) -> str:
    """How the config's checkpoints are named: ``'epoch'`` (``epoch_N.pth``) for an
    epoch-based training loop, ``'iter'`` (``iter_N.pth``) for an iteration-based one."""
    train_cfg = cfg.get('train_cfg') or {}
    by_epoch = train_cfg.get('by_epoch', 'Iter' not in str(train_cfg.get('type', '')))
    return 'epoch' if by_epoch else 'iter'


def main(argv=None) -> None:
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = build_cfg(args)
    setup_run(cfg, args.launcher)
    lock = contextlib.nullcontext()
    if int(os.environ.get('RANK', '0')) == 0:  # one lock per run: rank 0 holds it
        lock = WorkDirLock(cfg.work_dir)
    with lock:
        notes = []
        if int(os.environ.get('RANK', '0')) == 0:  # the lock's owner: no save is under way
            notes = start_notes(cfg.work_dir)
            if not cfg.get('resume', False):
                kept = archive_previous_run(cfg.work_dir)
                if kept:
                    notes.append(f'checkpoints of an earlier run in {cfg.work_dir} were '
                                 f'moved to {kept}')
        for note in notes:
            print(note, file=sys.stderr)
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
        for note in notes:  # and in the run's log file
            runner.logger.info(note)
        runner.train()
    finish_distributed()  # after the lock's release: in a distributed run it ends the process


if __name__ == '__main__':
    main()
