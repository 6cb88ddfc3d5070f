"""Visualisation: drawing head axes and cubes from rotation matrices."""

from .draw import draw_axes, draw_cube, nose_direction, project
from .local_visualizer import HeadPoseVisualizer

__all__ = ['HeadPoseVisualizer', 'draw_axes', 'draw_cube', 'nose_direction', 'project']
