"""The contract between a pose head and the pose representation it regresses."""

from abc import ABCMeta, abstractmethod
from typing import Tuple

import torch

from headpose.structures import matrix_to_euler


class BasePoseCodec(metaclass=ABCMeta):
    """How a head's targets are encoded from rotations and its outputs decoded into them.

    Every pose head takes its codec as ``codec=dict(type=...)`` and uses it both ways,
    so the targets of training and the decoding of predictions can never disagree; the
    rest of the toolbox (demos, ONNX export, the video demo's smoothing) asks the
    model's codec (``model.pose_codec``) what its outputs mean instead of reading the
    config.

    A codec states:

    * ``num_outputs``: the numbers a head regresses per pose;
    * ``full_range``: the Euler branch of the angles it reports (``matrix_to_euler``):
      yaw in (-180, 180] if true, in [-90, 90] otherwise. It is the one place where a
      model's range is set; data sets state the range of their labels themselves;
    * ``averageable``: whether the mean of several outputs is a meaningful output (true
      for representations that are linear in the rotation's entries, false for Euler
      angles, which wrap at +-180 degrees).

    Subclasses implement :meth:`encode` and :meth:`decode`, and :meth:`merge_flip` if
    they support flip testing.

    Args:
        full_range: the Euler branch of the decoded angles.
    """

    num_outputs: int = 0
    averageable: bool = False

    def __init__(self, full_range: bool = False):
        self.full_range = bool(full_range)

    @abstractmethod
    def encode(self, rotations: torch.Tensor) -> torch.Tensor:
        """``(N, 3, 3)`` rotations -> ``(N, num_outputs)`` targets."""

    @abstractmethod
    def decode(self, outputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(N, num_outputs)`` outputs -> ``(rotations (N, 3, 3), angles (N, 3))``, the
        angles (yaw, pitch, roll) in degrees in the branch of ``full_range``."""

    def encode_weights(self, angle_weights: torch.Tensor) -> torch.Tensor:
        """Partial labels: ``(N, 3)`` weights of (yaw, pitch, roll) (0: unknown) ->
        ``(N, num_outputs)`` weights of the targets.

        Here every output depends on all three angles, so each gets the smallest of the
        three weights: a pose known in part is not a target of this representation.
        ``EulerCodec``, whose outputs are the angles, keeps each angle's own weight.
        """
        return angle_weights.min(dim=-1, keepdim=True).values.expand(
            -1, self.num_outputs).contiguous()

    def merge_flip(self, outputs: torch.Tensor, flipped_outputs: torch.Tensor) -> torch.Tensor:
        """Merges outputs with those of the horizontally flipped input (flip testing).

        Raises:
            NotImplementedError: the codec cannot map flipped outputs back.
        """
        raise NotImplementedError(f'{type(self).__name__} has no merge_flip: flip testing '
                                  'needs a codec that maps flipped outputs back')

    @property
    def supports_flip(self) -> bool:
        """Whether :meth:`merge_flip` is implemented."""
        return type(self).merge_flip is not BasePoseCodec.merge_flip

    def to_angles(self, rotations: torch.Tensor) -> torch.Tensor:
        """``(..., 3, 3)`` rotations -> ``(..., 3)`` angles in this codec's branch."""
        return matrix_to_euler(rotations, self.full_range)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(full_range={self.full_range})'


def mean_on_circle(a: torch.Tensor, b: torch.Tensor, period: float = 360.0) -> torch.Tensor:
    """Half-way from ``a`` to ``b`` the short way round a circle of ``period``:
    ``a + wrap(b - a) / 2``, so that 179 and -179 degrees give 180, not 0; for values
    less than half a period apart this is the plain mean (the codecs' flip merge)."""
    diff = b - a
    diff = diff - period * torch.round(diff / period)
    return a + diff / 2


__all__ = ['BasePoseCodec', 'mean_on_circle']
