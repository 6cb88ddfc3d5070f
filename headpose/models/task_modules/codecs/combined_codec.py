"""The combined codec: one pose regressed in several representations at once."""

from typing import Optional, Sequence, Tuple

import torch

from headpose.registry import TASK_UTILS
from headpose.structures import project_to_rotation

from .base import BasePoseCodec


@TASK_UTILS.register_module()
class CombinedCodec(BasePoseCodec):
    """Targets are the concatenated targets of several codecs; the outputs decode to the
    chordal mean of the rotations that each codec's part decodes to.

    A head with this codec has one output layer for every part (e.g. Euler angles and
    head motion, 3 + 3 outputs): its parts are trained on the same labels and answer
    each with its own errors, and their mean is an ensemble in one model. The chordal
    mean of rotations ``R_k`` with weights ``w_k`` is the rotation nearest to
    ``sum_k w_k R_k`` (Frobenius norm, ``project_to_rotation``); scipy's
    ``Rotation.mean`` is the same mean. A part of weight 0 is trained but not asked:
    an auxiliary task.

    Flip rule: each part's own (``merge_flip`` per part).

    Args:
        codecs: the parts' codec configs, e.g.
            ``[dict(type='EulerCodec'), dict(type='HeadMotionCodec')]``; at least two.
        weights: the parts' weights in the answer (>= 0, not all 0); ``None``: equal.
        full_range: the Euler branch of the decoded angles (see ``matrix_to_euler``);
            the parts keep their own.
    """

    def __init__(self, codecs: Sequence[dict], weights: Optional[Sequence[float]] = None,
                 full_range: bool = False):
        super().__init__(full_range)
        if isinstance(codecs, dict) or len(codecs) < 2:
            raise ValueError('CombinedCodec: codecs must be a list of at least two codec '
                             f'configs, got {codecs!r}')
        self.codecs = [c if isinstance(c, BasePoseCodec) else TASK_UTILS.build(c)
                       for c in codecs]
        weights = [1.0] * len(codecs) if weights is None else [float(w) for w in weights]
        if len(weights) != len(codecs) or min(weights) < 0 or not sum(weights) > 0:
            raise ValueError(f'CombinedCodec: weights must be {len(codecs)} numbers >= 0, '
                             f'not all 0 (one per codec), got {weights!r}')
        self.weights = weights
        self.num_outputs = sum(c.num_outputs for c in self.codecs)
        self.averageable = all(c.averageable for c in self.codecs)

    def _split(self, outputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        if outputs.shape[-1] != self.num_outputs:
            raise ValueError(f'CombinedCodec: expected (N, {self.num_outputs}) outputs, got '
                             f'{tuple(outputs.shape)}')
        return torch.split(outputs, [c.num_outputs for c in self.codecs], dim=-1)

    def encode(self, rotations: torch.Tensor) -> torch.Tensor:
        """(N, 3, 3) rotations -> (N, num_outputs): every part's targets, in order."""
        return torch.cat([c.encode(rotations) for c in self.codecs], dim=-1)

    def encode_weights(self, angle_weights: torch.Tensor) -> torch.Tensor:
        """(N, 3) angle weights -> (N, num_outputs): every part's target weights, in order."""
        return torch.cat([c.encode_weights(angle_weights) for c in self.codecs], dim=-1)

    def decode(self, outputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(N, num_outputs) -> ``(rotations (N, 3, 3), (yaw, pitch, roll) (N, 3))``: the
        weighted chordal mean of the parts' rotations (parts of weight 0 not decoded)."""
        total = sum(w * c.decode(part)[0].double() for c, part, w in zip(
            self.codecs, self._split(outputs), self.weights) if w > 0)
        rotations = project_to_rotation(total)
        return rotations.to(outputs.dtype), self.to_angles(rotations).to(outputs.dtype)

    def merge_flip(self, outputs: torch.Tensor, flipped_outputs: torch.Tensor) -> torch.Tensor:
        """Every part merged by its own codec's flip rule."""
        return torch.cat([c.merge_flip(a, b) for c, a, b in zip(
            self.codecs, self._split(outputs), self._split(flipped_outputs))], dim=-1)

    @property
    def supports_flip(self) -> bool:
        """Whether every part's codec implements :meth:`merge_flip`."""
        return all(c.supports_flip for c in self.codecs)

    def __repr__(self) -> str:
        return (f'CombinedCodec(codecs={self.codecs!r}, weights={self.weights}, '
                f'full_range={self.full_range})')


__all__ = ['CombinedCodec']
