"""Temporal smoothing of head rotations over video frames, on rotations rather than angles."""

from typing import List, Tuple

import numpy as np

from headpose.structures import project_to_rotation

from .detectors.base import box_iou_np


class RotationSmoother:
    """An exponential average of each tracked head's rotation matrix, projected back by SVD.

    Averaging Euler angles breaks at the wrap (a yaw going 179 -> -179 averages to 0)
    and near gimbal lock; averaging matrices does not. Per head,
    ``R_s(t) = P(momentum * R_s(t-1) + (1 - momentum) * R(t))`` where ``P`` is the
    projection onto the nearest rotation (:func:`~headpose.structures.project_to_rotation`).
    Heads are followed from frame to frame by greedy box IoU matching; a track not seen
    for more than ``max_missing`` frames is dropped, and a new head starts unsmoothed.

    Args:
        momentum: weight of the past in [0, 1); 0 turns smoothing off.
        iou_thr: smallest IoU between a head's box and a track's last box to match them.
        max_missing: frames a track survives without a match.
    """

    def __init__(self, momentum: float = 0.6, iou_thr: float = 0.3, max_missing: int = 5):
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f'RotationSmoother: momentum must be in [0, 1), got {momentum}')
        self.momentum = momentum
        self.iou_thr = iou_thr
        self.max_missing = max_missing
        self.tracks: List[dict] = []
        self._next_id = 0

    def reset(self) -> None:
        """Forgets every track."""
        self.tracks = []

    def update(self, bboxes: np.ndarray, rotations: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Smooths one frame's heads.

        Args:
            bboxes: ``(K, 4)`` boxes of this frame.
            rotations: ``(K, 3, 3)`` their rotations.

        Returns:
            ``(rotations (K, 3, 3), track_ids (K,))``: the smoothed rotations and the
            track each head was assigned to.
        """
        bboxes = np.asarray(bboxes, np.float64).reshape(-1, 4)
        rotations = np.asarray(rotations, np.float64).reshape(-1, 3, 3)
        out = rotations.copy()
        ids = np.full(len(bboxes), -1, dtype=np.int64)
        matched = set()
        if self.tracks and len(bboxes):
            iou = box_iou_np(bboxes, np.stack([t['bbox'] for t in self.tracks]))
            for flat in np.argsort(-iou, axis=None):
                i, j = np.unravel_index(flat, iou.shape)
                if iou[i, j] < self.iou_thr:
                    break
                if ids[i] >= 0 or j in matched:
                    continue
                track = self.tracks[j]
                mixed = self.momentum * track['rotation'] + (1 - self.momentum) * rotations[i]
                out[i] = project_to_rotation(mixed)
                track.update(bbox=bboxes[i], rotation=out[i], missing=0)
                ids[i] = track['id']
                matched.add(j)
        for j, track in enumerate(self.tracks):
            if j not in matched:
                track['missing'] += 1
        self.tracks = [t for t in self.tracks if t['missing'] <= self.max_missing]
        for i in np.flatnonzero(ids < 0):
            self.tracks.append(dict(id=self._next_id, bbox=bboxes[i], rotation=out[i],
                                    missing=0))
            ids[i] = self._next_id
            self._next_id += 1
        return out, ids


__all__ = ['RotationSmoother']
