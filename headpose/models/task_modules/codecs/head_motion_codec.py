"""The head-motion codec: a pose as (turn, nod, tilt), the way a person moves the head."""

from typing import Tuple

import torch

from headpose.registry import TASK_UTILS
from headpose.structures import (
    flip_euler,
    head_motion_to_matrix,
    matrix_to_euler,
    matrix_to_head_motion,
)

from .base import BasePoseCodec, mean_on_circle


@TASK_UTILS.register_module()
class HeadMotionCodec(BasePoseCodec):
    """Targets are (turn, nod, tilt) in degrees (``matrix_to_head_motion``); the outputs
    decode to rotations and to (yaw, pitch, roll) in the Euler branch of ``full_range``.

    The head turns about the vertical, nods about its own ear-to-ear axis and tilts
    about its own forward axis (``docs/conventions.md``, "Head motion"). Near frontal
    the three are the Euler angles; at large yaw they part: a profile that nods 20
    degrees has Euler pitch and roll of over 60 each (turn 80, nod -20 is
    (yaw, pitch, roll) = (67.7, -64.5, -62.7)), while its nod and tilt stay small. A
    head whose outputs are bounded jointly (RankPose's cosine transform: the three
    outputs over 90 degrees lie in a ball of radius about 1) can reach such poses as
    head motion and not as Euler angles.

    Flip rule (the horizontal image flip, ``flip_rotation``): turn -> -turn,
    tilt -> -tilt, nod unchanged, as for yaw, roll and pitch.

    Args:
        full_range: the Euler branch of the decoded angles (see ``matrix_to_euler``).
    """

    num_outputs = 3

    def encode(self, rotations: torch.Tensor) -> torch.Tensor:
        """(N, 3, 3) rotations -> (N, 3) (turn, nod, tilt) in degrees."""
        return matrix_to_head_motion(rotations.double()).to(rotations.dtype)

    def decode(self, outputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(N, 3) (turn, nod, tilt) -> ``(rotations (N, 3, 3), (yaw, pitch, roll) (N, 3))``."""
        rotations = head_motion_to_matrix(outputs.double())
        angles = matrix_to_euler(rotations, self.full_range)
        return rotations.to(outputs.dtype), angles.to(outputs.dtype)

    def merge_flip(self, outputs: torch.Tensor, flipped_outputs: torch.Tensor) -> torch.Tensor:
        """The mean of ``outputs`` and the flipped input's outputs mapped back by the flip
        rule (turn -> -turn, tilt -> -tilt), taken on the circle as
        ``EulerCodec.merge_flip`` does (the plain mean for outputs less than 180 apart)."""
        # turn, nod, tilt flip with the signs of yaw, pitch, roll: flip_euler's rule
        return mean_on_circle(outputs, flip_euler(flipped_outputs))


__all__ = ['HeadMotionCodec']
