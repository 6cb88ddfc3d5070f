"""SynthHeads, the built-in synthetic heads: a renderer and dataset types."""

from .dataset import SynthHeadsDataset

__all__ = ['SynthHeadsDataset']
from .scenes import SynthHeadsScenesDataset, render_scene  # noqa: E402

__all__ += ['SynthHeadsScenesDataset', 'render_scene']
