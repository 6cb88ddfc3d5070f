"""Saves the random generators' states in checkpoints so that a resumed run continues exactly."""

import random

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.runner import IterBasedTrainLoop

from headpose.registry import HOOKS


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Stores Python's, numpy's and torch's global generator states in each checkpoint.

    mmengine re-seeds but does not restore these states on ``--resume``, so random
    augmentations (drawn from the global generators) would differ after a resume. With
    this hook, training one epoch and resuming to two gives the weights of two epochs
    run straight (with ``num_workers=0`` or non-persistent workers), and so does
    resuming an iteration-based run.

    The states are restored when training starts (``before_train``), not while the
    checkpoint is read. An iteration-based loop resumed at iteration N first replays
    its N batches through the data pipeline (mmengine's ``IterBasedTrainLoop`` advances
    its dataloader so); were the states restored before that replay, the replayed
    augmentations would consume them and batch N + 1 would be augmented differently
    from the straight run's (weights differed by 3e-4, BN statistics by 3). So for
    such a loop the states are restored after the replay, just before batch N + 1 is
    drawn.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        np_state = np.random.get_state()
        checkpoint['rng_state'] = dict(
            python=random.getstate(),
            numpy=dict(name=np_state[0], keys=torch.from_numpy(np_state[1].astype(np.int64)),
                       pos=int(np_state[2]), has_gauss=int(np_state[3]),
                       cached_gaussian=float(np_state[4])),
            torch=torch.get_rng_state())

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending = checkpoint.get('rng_state')

    def before_train(self, runner) -> None:
        state, self._pending = getattr(self, '_pending', None), None
        if state is None:
            return
        loop = runner.train_loop
        if runner.iter > 0 and isinstance(loop, IterBasedTrainLoop):
            loop.dataloader_iterator = _RestoreAfterReplay(
                loop, runner.iter, lambda: self._restore(state))
        else:
            self._restore(state)

    @staticmethod
    def _restore(state: dict) -> None:
        """Sets the global generators to the states saved in a checkpoint."""
        version, internal, gauss = state['python']
        random.setstate((version, tuple(internal), gauss))
        np_state = state['numpy']
        np.random.set_state((np_state['name'], np_state['keys'].numpy().astype(np.uint32),
                             np_state['pos'], np_state['has_gauss'],
                             np_state['cached_gaussian']))
        torch.set_rng_state(state['torch'])



class _RestoreAfterReplay:
    """Stands in for an iteration-based loop's dataloader iterator during a resume: lets
    the loop replay ``replayed`` batches, then calls ``restore`` before handing out the
    next batch and puts the loop's own iterator back."""

    def __init__(self, loop, replayed: int, restore) -> None:
        self._loop = loop
        self._iterator = loop.dataloader_iterator
        self._left = replayed
        self._restore = restore

    def __iter__(self):
        return self

    def __next__(self):
        if self._left == 0:
            self._restore()
            self._loop.dataloader_iterator = self._iterator
        self._left -= 1
        return next(self._iterator)

    def __getattr__(self, name: str):
        return getattr(self._iterator, name)
