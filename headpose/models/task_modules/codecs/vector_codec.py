"""The rotation-vector codec: a pose as the three column vectors of its rotation matrix."""

from typing import Tuple

import torch

from headpose.registry import TASK_UTILS
from headpose.structures import flip_rotation, matrix_to_euler, project_to_rotation

from .base import BasePoseCodec


@TASK_UTILS.register_module()
class RotationVectorCodec(BasePoseCodec):
    """Targets are the 9 entries of the rotation matrix, column vector by column vector.

    ``encode`` gives ``[R[:, 0], R[:, 1], R[:, 2]]`` (the head's x, y and z axes in the
    camera frame). ``decode`` reads 9 outputs back as three column vectors, which are
    in general neither unit nor orthogonal, and projects the 3x3 matrix onto the
    nearest rotation by SVD (``project_to_rotation``, ``U diag(1, 1, det(U V^T)) V^T``).
    The outputs are linear in the matrix, so their mean is meaningful (``averageable``).

    Args:
        full_range: the Euler branch of the decoded angles (see ``matrix_to_euler``).
    """

    num_outputs = 9
    averageable = True

    def __init__(self, full_range: bool = True):
        super().__init__(full_range)

    def encode(self, rotations: torch.Tensor) -> torch.Tensor:
        """(N, 3, 3) rotations -> (N, 9) targets."""
        return rotations.transpose(-1, -2).reshape(*rotations.shape[:-2], 9)

    @staticmethod
    def to_matrix(outputs: torch.Tensor) -> torch.Tensor:
        """(N, 9) outputs -> (N, 3, 3) matrices whose columns are the three vectors."""
        return outputs.reshape(*outputs.shape[:-1], 3, 3).transpose(-1, -2)

    def decode(self, outputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(N, 9) outputs -> ``(rotations (N, 3, 3), angles (N, 3))``."""
        if outputs.shape[0] == 0:
            return outputs.new_zeros(0, 3, 3), outputs.new_zeros(0, 3)
        rotations = project_to_rotation(self.to_matrix(outputs.double()))
        angles = matrix_to_euler(rotations, self.full_range)
        return rotations.to(outputs.dtype), angles.to(outputs.dtype)

    def merge_flip(self, outputs: torch.Tensor, flipped_outputs: torch.Tensor) -> torch.Tensor:
        """The mean of ``outputs`` and the flipped input's outputs mapped back by the flip
        rule ``S M S`` (``S = diag(-1, 1, 1)``), entry by entry; ``decode`` then projects
        the mean matrix onto the nearest rotation (the chordal mean of the two)."""
        back = flip_rotation(self.to_matrix(flipped_outputs))
        return (outputs + self.encode(back)) / 2


__all__ = ['RotationVectorCodec']
