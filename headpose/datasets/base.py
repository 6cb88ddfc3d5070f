"""The base class of head-pose datasets: label checks and bad-image replacement."""

import logging
from typing import Any, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from headpose.structures import euler_to_matrix


class ImageReadError(IOError):
    """An image that cannot be read; raised by the loading transform with its path."""


def check_angles(angles: Sequence[float], where: str) -> np.ndarray:
    """Checks (yaw, pitch, roll) labels and returns them as a float64 array.

    Args:
        angles: three angles in degrees.
        where: what to name in the error (file, annotation id, ...).

    Raises:
        ValueError: naming ``where`` if a value is missing, NaN or infinite.
    """
    if angles is None:
        raise ValueError(f'{where}: the pose angles are missing')
    arr = np.asarray(angles, dtype=np.float64).reshape(-1)
    if arr.shape != (3, ):
        raise ValueError(f'{where}: expected 3 pose angles (yaw, pitch, roll), got {arr.tolist()}')
    if not np.all(np.isfinite(arr)):
        raise ValueError(f'{where}: pose angles must be finite, got {arr.tolist()}')
    return arr


class BaseHeadPoseDataset(BaseDataset):
    """A dataset of head images with pose labels.

    Subclasses implement :meth:`load_data_list`, returning one dict per sample with at
    least ``img_path`` (or ``img``) and the instances of the image, the same layout for
    a head crop (one instance) and a scene (any number): ``gt_bboxes`` (K, 4)
    [x1, y1, x2, y2] head boxes in pixels and ``gt_rotations`` (K, 3, 3), the canonical
    labels (angles are derived from them where they are needed, in the Euler branch of
    ``full_range``); ``identity`` enables pairing for the ranking loss (see
    :class:`PairDataset`). :meth:`pose_sample` helps build a crop's entry.

    An image that cannot be read while training is logged with its path and replaced by
    another sample; the replaced paths travel in the data sample's ``replaced_images``
    meta field, and ``BadImageReportHook`` reports their count at the end of each epoch.
    While testing (``test_mode=True``) it is an error naming the file.

    Args:
        full_range: whether the labels cover the full yaw range (-180, 180]: the Euler
            branch (see ``matrix_to_euler``) in which metrics and drawings express them.
            It travels in each sample's meta information and in ``metainfo``.
        **kwargs: the arguments of :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO: dict = dict(classes=('head', ))

    def __init__(self, *args, full_range: bool = False, **kwargs):
        self.full_range = bool(full_range)
        super().__init__(*args, **kwargs)
        self._metainfo['full_range'] = self.full_range

    @staticmethod
    def pose_sample(img_path: Optional[str], angles: Sequence[float], where: str,
                    bbox: Optional[Sequence[float]] = None, **extra: Any) -> dict:
        """One crop's data-list entry from (yaw, pitch, roll) labels (checked, converted
        into a rotation) and its head box, as a single instance."""
        arr = check_angles(angles, where)
        info = dict(img_path=img_path, gt_rotations=euler_to_matrix(arr)[None], **extra)
        if bbox is not None:
            info['gt_bboxes'] = normalise_bbox(bbox, where)[None]
        return info

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        info['full_range'] = self.full_range
        info['sample_idx'] = idx
        return info

    def get_identity(self, idx: int):
        """The identity of sample ``idx`` (for pairing), or ``None`` if unknown."""
        return BaseDataset.get_data_info(self, idx).get('identity')

    def get_rotations(self, idx: int) -> np.ndarray:
        """The (K, 3, 3) rotation labels of sample ``idx``, without loading its image."""
        rots = BaseDataset.get_data_info(self, idx)['gt_rotations']
        return np.asarray(rots, dtype=np.float64).reshape(-1, 3, 3)

    def __getitem__(self, idx: int) -> Any:
        if not self._fully_initialized:
            self.full_init()
        if self.test_mode:
            return self.prepare_data(idx)
        replaced = []
        for _ in range(self.max_refetch + 1):
            try:
                data = self.prepare_data(idx)
            except ImageReadError as err:
                print_log(f'skipping an unreadable training image: {err}', logger='current',
                          level=logging.WARNING)
                replaced.append(str(err))
                idx = self._rand_another()
                continue
            if data is None:
                idx = self._rand_another()
                continue
            if replaced:
                _mark_replaced(data, replaced)
            return data
        raise RuntimeError(f'{type(self).__name__}: no readable sample found after '
                           f'{self.max_refetch} tries; last errors: {replaced[-3:]}')


def _mark_replaced(data: dict, replaced: list) -> None:
    samples = data.get('data_samples')
    if samples is None:
        return
    for sample in samples if isinstance(samples, (list, tuple)) else [samples]:
        sample.set_metainfo(dict(replaced_images=list(replaced)))


def normalise_bbox(bbox: Sequence[float], where: str) -> np.ndarray:
    """Checks an [x1, y1, x2, y2] box; raises naming ``where`` if it is degenerate."""
    box = np.asarray(bbox, dtype=np.float32).reshape(-1)
    if box.shape != (4, ) or not np.all(np.isfinite(box)) or box[2] <= box[0] or \
            box[3] <= box[1]:
        raise ValueError(f'{where}: invalid head box {box.tolist()} (expected x1 < x2, y1 < y2)')
    return box


__all__ = ['BaseHeadPoseDataset', 'ImageReadError', 'check_angles', 'normalise_bbox']
