"""Engine: hooks, model wrappers and weights-only checkpoints."""

from .checkpoint import load_weights, plain_message_hub, restore_message_hub
from .hooks import *  # noqa: F401,F403
from .model_wrappers import *  # noqa: F401,F403

__all__ = ['load_weights', 'plain_message_hub', 'restore_message_hub']
