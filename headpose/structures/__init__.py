"""Data structures and the pose core."""

from .bbox import batched_nms, box_iou, clip_boxes, nms, unletterbox_boxes
from .data_sample import HeadPoseDataSample
from .pose import (
    FLIP_MATRIX,
    euler_to_matrix,
    flip_euler,
    flip_rotation,
    geodesic_distance,
    head_motion_to_matrix,
    matrix_to_euler,
    matrix_to_head_motion,
    project_to_rotation,
    rotate_in_plane,
    wrapped_angle_error,
)
from .shape_fit import SimilarityFit, fit_similarity

__all__ = [
    'FLIP_MATRIX', 'HeadPoseDataSample', 'SimilarityFit', 'batched_nms', 'box_iou', 'clip_boxes',
    'euler_to_matrix', 'fit_similarity', 'flip_euler', 'flip_rotation', 'geodesic_distance',
    'head_motion_to_matrix', 'matrix_to_euler', 'matrix_to_head_motion',
    'nms', 'project_to_rotation', 'rotate_in_plane', 'unletterbox_boxes',
    'wrapped_angle_error'
]
