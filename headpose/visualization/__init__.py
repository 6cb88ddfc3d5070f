"""Visualisation: drawing head axes and cubes from rotation matrices."""

from .draw import (
           draw_axes,
           draw_cube,
           draw_label,
           label_style,
           nose_direction,
           place_label,
           project,
)
from .local_visualizer import HeadPoseVisualizer

__all__ = ['HeadPoseVisualizer', 'draw_axes', 'draw_cube', 'draw_label', 'label_style',
           'nose_direction', 'place_label', 'project']
