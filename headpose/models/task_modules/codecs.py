"""Pose codecs: how a head's targets are encoded from, and its outputs decoded into, rotations.

A head builds its codec from config, encodes ``gt_rotation`` into its targets with it
and decodes its outputs with it, so target encoding and decoding can never disagree.
A codec also knows how to merge the outputs of a horizontally flipped crop into those
of the crop itself (``merge_flip``, for flip testing), since only it knows what its
numbers mean.
"""

import torch

from headpose.registry import TASK_UTILS
from headpose.structures import euler_to_matrix, flip_euler, matrix_to_euler


@TASK_UTILS.register_module()
class EulerCodec:
    """Targets are (yaw, pitch, roll) in degrees in the chosen Euler branch.

    Args:
        full_range: use the full-range branch (yaw in (-180, 180]) instead of the
            narrow one (yaw in [-90, 90]); see ``matrix_to_euler``.
    """

    num_outputs = 3

    def __init__(self, full_range: bool = False):
        self.full_range = full_range

    def encode(self, rotations: torch.Tensor) -> torch.Tensor:
        """(N, 3, 3) rotations -> (N, 3) angles in degrees."""
        return matrix_to_euler(rotations.double(), self.full_range).to(rotations.dtype)

    def decode(self, outputs: torch.Tensor) -> tuple:
        """(N, 3) angles -> ``(rotations (N, 3, 3), angles (N, 3))``."""
        return euler_to_matrix(outputs), outputs

    def merge_flip(self, outputs: torch.Tensor, flipped_outputs: torch.Tensor) -> torch.Tensor:
        """The mean of ``outputs`` and the flipped crop's outputs mapped back by the flip
        rule (yaw -> -yaw, roll -> -roll), taken on the circle: ``a + wrap(b - a) / 2``,
        so that 179 and -179 give 180, not 0. For angles less than 180 apart (always,
        for heads bounded to (-90, 90)) this is the plain mean."""
        back = flip_euler(flipped_outputs)
        diff = back - outputs
        diff = diff - 360.0 * torch.round(diff / 360.0)
        return outputs + diff / 2
