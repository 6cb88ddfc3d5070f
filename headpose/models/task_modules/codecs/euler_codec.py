"""The Euler-angle codec: a pose as (yaw, pitch, roll), in units of ``angle_unit`` degrees."""

from typing import Tuple

import torch

from headpose.registry import TASK_UTILS
from headpose.structures import euler_to_matrix, flip_euler, matrix_to_euler

from .base import BasePoseCodec, mean_on_circle


@TASK_UTILS.register_module()
class EulerCodec(BasePoseCodec):
    """Targets are (yaw, pitch, roll) in the chosen Euler branch, divided by ``angle_unit``.

    Args:
        full_range: use the full-range branch (yaw in (-180, 180]) instead of the
            narrow one (yaw in [-90, 90]); see ``matrix_to_euler``.
        angle_unit: degrees per output unit. 1 for heads whose outputs are degrees
            (RankPose's bounded transforms); 90 for a plain convolution (Multitask-Net's
            Euler variant), so that targets and the first outputs are of one magnitude.
    """

    num_outputs = 3

    def __init__(self, full_range: bool = False, angle_unit: float = 1.0):
        super().__init__(full_range)
        if angle_unit <= 0:
            raise ValueError(f'EulerCodec: angle_unit must be > 0 degrees, got {angle_unit}')
        self.angle_unit = float(angle_unit)

    def encode(self, rotations: torch.Tensor) -> torch.Tensor:
        """(N, 3, 3) rotations -> (N, 3) angles in units of ``angle_unit`` degrees."""
        angles = matrix_to_euler(rotations.double(), self.full_range) / self.angle_unit
        return angles.to(rotations.dtype)

    def encode_weights(self, angle_weights: torch.Tensor) -> torch.Tensor:
        """(N, 3) weights of (yaw, pitch, roll) -> the same: each output is one angle."""
        return angle_weights

    def decode(self, outputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(N, 3) outputs -> ``(rotations (N, 3, 3), angles (N, 3) in degrees)``."""
        angles = outputs * self.angle_unit
        return euler_to_matrix(angles), angles

    def merge_flip(self, outputs: torch.Tensor, flipped_outputs: torch.Tensor) -> torch.Tensor:
        """The mean of ``outputs`` and the flipped input's outputs mapped back by the flip
        rule (yaw -> -yaw, roll -> -roll), taken on the circle: ``a + wrap(b - a) / 2``,
        so that 179 and -179 degrees give 180, not 0. For angles less than 180 apart
        (always, for heads bounded to (-90, 90)) this is the plain mean."""
        return mean_on_circle(outputs, flip_euler(flipped_outputs), 360.0 / self.angle_unit)

    def __repr__(self) -> str:
        return f'EulerCodec(full_range={self.full_range}, angle_unit={self.angle_unit})'


__all__ = ['EulerCodec']
