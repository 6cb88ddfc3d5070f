"""Engine: the runner, hooks, model wrappers and weights-only checkpoints."""

from .checkpoint import (
    AtomicLocalBackend,
    CheckpointMismatchError,
    load_checkpoint_weights,
    load_model_weights,
    load_state_strictly,
    plain_message_hub,
    restore_message_hub,
    write_atomically,
)
from .hooks import *  # noqa: F401,F403
from .model_wrappers import *  # noqa: F401,F403
from .optim_wrappers import CPUBFloat16OptimWrapper
from .runner import HeadPoseRunner

__all__ = ['AtomicLocalBackend', 'CPUBFloat16OptimWrapper', 'CheckpointMismatchError',
           'HeadPoseRunner',
           'load_checkpoint_weights', 'load_model_weights', 'load_state_strictly',
           'plain_message_hub', 'restore_message_hub', 'write_atomically']
