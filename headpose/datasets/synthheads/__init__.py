"""SynthHeads, the built-in synthetic heads: a renderer and dataset types."""

from .dataset import SynthHeadsDataset
from .renderer import (
    HEAD_EXTENT,
    HeadLayer,
    mask_to_bbox,
    random_background,
    random_light,
    render_head,
    render_head_layer,
    sample_identity,
)
from .scenes import SynthHeadsScenesDataset, render_scene

__all__ = [
    'HEAD_EXTENT', 'HeadLayer', 'SynthHeadsDataset', 'SynthHeadsScenesDataset', 'mask_to_bbox',
    'random_background', 'random_light', 'render_head', 'render_head_layer', 'render_scene',
    'sample_identity'
]
