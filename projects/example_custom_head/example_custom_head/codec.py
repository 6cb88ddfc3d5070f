"""The 6D rotation codec: a pose as the first two columns of its rotation matrix."""

import torch
import torch.nn.functional as F

from headpose.models.task_modules import BasePoseCodec
from headpose.registry import TASK_UTILS
from headpose.structures import matrix_to_euler


def gram_schmidt(outputs: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Maps (N, 6) outputs onto (N, 3, 3) rotations, differentiably.

    The two 3-vectors ``a1 = outputs[:, :3]`` and ``a2 = outputs[:, 3:]`` are made
    orthonormal (``b1 = a1 / |a1|``, ``b2`` = the unit part of ``a2`` orthogonal to
    ``b1``), and ``b3 = b1 x b2`` completes a right-handed frame; ``b1, b2, b3`` are
    the columns of the rotation (Zhou et al., CVPR 2019, "On the continuity of
    rotation representations in neural networks").

    Args:
        outputs: ``(N, 6)`` unconstrained numbers.
        eps: guards the normalisations against zero vectors.

    Returns:
        ``(N, 3, 3)`` rotation matrices (orthonormal, determinant +1).
    """
    if outputs.shape[-1] != 6:
        raise ValueError(f'gram_schmidt: expected (N, 6) outputs, got {tuple(outputs.shape)}')
    a1, a2 = outputs[..., :3], outputs[..., 3:]
    b1 = F.normalize(a1, dim=-1, eps=eps)
    b2 = F.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1, eps=eps)
    b3 = torch.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


@TASK_UTILS.register_module()
class Rot6DCodec(BasePoseCodec):
    """Targets are ``[R[:, 0], R[:, 1]]``, the head's x and y axes in the camera frame.

    Unlike Euler angles, this representation is continuous over all rotations (no
    jump at yaw = +-180 degrees), so one head serves narrow- and full-range data.
    ``decode`` is differentiable: the head computes its loss on decoded rotations.

    Args:
        full_range: the Euler branch of the decoded angles (see ``matrix_to_euler``).
    """

    num_outputs = 6
    averageable = True

    def encode(self, rotations: torch.Tensor) -> torch.Tensor:
        """(N, 3, 3) rotations -> (N, 6) targets."""
        return torch.cat([rotations[..., :, 0], rotations[..., :, 1]], dim=-1)

    def decode(self, outputs: torch.Tensor) -> tuple:
        """(N, 6) outputs -> ``(rotations (N, 3, 3), angles (N, 3))``, angles in degrees."""
        rotations = gram_schmidt(outputs)
        angles = matrix_to_euler(rotations.detach().double(), self.full_range)
        return rotations, angles.to(outputs.dtype)

    def merge_flip(self, outputs: torch.Tensor, flipped_outputs: torch.Tensor) -> torch.Tensor:
        """For flip testing: the mean of ``outputs`` and the flipped crop's outputs mapped
        back by the flip rule ``S R S`` (``S = diag(-1, 1, 1)``), which flips the signs of
        the entries (1, 0), (2, 0) and (0, 1) of the two columns."""
        sign = flipped_outputs.new_tensor([1.0, -1.0, -1.0, -1.0, 1.0, 1.0])
        return (outputs + flipped_outputs * sign) / 2


__all__ = ['Rot6DCodec', 'gram_schmidt']
