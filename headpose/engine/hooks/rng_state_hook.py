"""Saves the random generators' states in checkpoints so that a resumed run continues exactly."""

import random

import numpy as np
import torch
from mmengine.hooks import Hook

from headpose.registry import HOOKS


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Stores Python's, numpy's and torch's global generator states in each checkpoint.

    mmengine re-seeds but does not restore these states on ``--resume``, so random
    augmentations (drawn from the global generators) would differ after a resume. With
    this hook, training one epoch and resuming to two gives the weights of two epochs
    run straight (with ``num_workers=0`` or non-persistent workers).
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
        state = checkpoint.get('rng_state')
        if state is None:
            return
        version, internal, gauss = state['python']
        random.setstate((version, tuple(internal), gauss))
        np_state = state['numpy']
        np.random.set_state((np_state['name'], np_state['keys'].numpy().astype(np.uint32),
                             np_state['pos'], np_state['has_gauss'],
                             np_state['cached_gaussian']))
        torch.set_rng_state(state['torch'])

