"""SynthHeads, the built-in synthetic heads: a renderer and dataset types."""

from .dataset import SynthHeadsDataset

__all__ = ['SynthHeadsDataset']
