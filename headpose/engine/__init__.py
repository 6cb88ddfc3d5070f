"""Engine: hooks, model wrappers and safe checkpoint loading."""

from .checkpoint import register_safe_globals
from .hooks import *  # noqa: F401,F403
from .model_wrappers import *  # noqa: F401,F403

__all__ = ['register_safe_globals']
