"""AFLW2000-3D: the standard test set, read from its release folder, with the papers' filter."""

import os.path as osp
from typing import Optional

import numpy as np
from mmengine.logging import print_log

from headpose.registry import DATASETS
from headpose.structures import euler_to_matrix

from .ann_cache import PoseTable, load_folder_annotations, scan_annotated_folder
from .base import BaseHeadPoseDataset
from .mat_utils import landmark_bbox, pose_para_to_angles, read_mat, scale_bboxes

#: The head-box sources of :class:`AFLW2000Dataset`.
AFLW2000_BBOX_SOURCES = ('pt3d_68', 'pt2d')


def parse_aflw2000_mat(path: str) -> dict:
    """One AFLW2000-3D ``.mat`` -> angles (yaw, pitch, roll) and both landmark boxes.

    Returns:
        ``dict(angles, bbox_pt3d_68, bbox_pt2d)``; the ``pt2d`` box leaves out the
        invisible points (-1). Both are kept so the box source can change without
        parsing again.

    Raises:
        ValueError: naming the file if ``Pose_Para``, ``pt3d_68`` or ``pt2d`` is missing
            or invalid.
    """
    mat = read_mat(path, ('Pose_Para', 'pt3d_68', 'pt2d'))
    return dict(angles=pose_para_to_angles(mat['Pose_Para'], path),
                bbox_pt3d_68=landmark_bbox(mat['pt3d_68'], path),
                bbox_pt2d=landmark_bbox(mat['pt2d'], path, drop_invisible=True))


def protocol_keep(angles: np.ndarray, max_abs_angle: Optional[float]) -> np.ndarray:
    """The papers' AFLW2000 protocol: keep images whose every |angle| <= ``max_abs_angle``.

    Args:
        angles: (N, 3) labels (yaw, pitch, roll) in degrees, as in ``Pose_Para``.
        max_abs_angle: the threshold (99 in the papers), or ``None`` to keep all.
    """
    angles = np.asarray(angles)
    if max_abs_angle is None:
        return np.ones(len(angles), dtype=bool)
    return np.all(np.abs(angles) <= max_abs_angle, axis=1)


@DATASETS.register_module()
class AFLW2000Dataset(BaseHeadPoseDataset):
    """AFLW2000-3D (Zhu et al., CVPR 2016), read from the release folder as it is.

    ``data_root`` holds ``image00002.jpg`` + ``image00002.mat`` ... (2,000 pairs). Labels
    as in 300W-LP: (yaw, pitch, roll) = (Pose_Para[1], Pose_Para[0], Pose_Para[2]) in
    degrees, then ``euler_to_matrix``. Head box: the box of the 68 ``pt3d_68`` landmarks
    (x, y rows; they cover the hidden side of a profile face too), or of the visible
    21 ``pt2d`` points (AFLW marks invisible ones -1), scaled by ``bbox_scale``.

    The protocol filter: ``filter_abs_angle=99`` drops every image with any |angle| > 99
    degrees, leaving 1,969 of 2,000 images (the papers' test set; on in the paper
    configs). It is applied here, to the labels exactly as released, and not in
    ``HeadPoseMAE`` (leave its ``filter_abs_angle=None``): the metric sees angles
    recomputed from the rotation matrix, which re-expresses angles beyond +-90 degrees
    (another Euler triple of the same rotation) and so does not test the published
    values; filtering here also keeps the dropped images out of ``--out`` records.

    Args:
        bbox_source: ``'pt3d_68'`` or ``'pt2d'``.
        bbox_scale: factor on the landmark box's width and height.
        filter_abs_angle: the protocol threshold in degrees, or ``None`` to keep all.
        cache: use the annotation cache (see :mod:`headpose.datasets.ann_cache`).
        cache_dir: where the cache lives.
        serialize_data: mmengine's option; ``False`` because the table is compact already.
        **kwargs: the arguments of :class:`BaseHeadPoseDataset`.
    """

    PARSER_VERSION = 1

    def __init__(self, bbox_source: str = 'pt3d_68', bbox_scale: float = 1.2,
                 filter_abs_angle: Optional[float] = None, cache: bool = True,
                 cache_dir: Optional[str] = None, serialize_data: bool = False, **kwargs):
        if bbox_source not in AFLW2000_BBOX_SOURCES:
            raise ValueError(f'AFLW2000Dataset: bbox_source must be one of '
                             f'{AFLW2000_BBOX_SOURCES}, got {bbox_source!r}')
        self.bbox_source = bbox_source
        self.bbox_scale = bbox_scale
        self.filter_abs_angle = filter_abs_angle
        self.cache = cache
        self.cache_dir = cache_dir
        self.num_filtered = 0
        super().__init__(serialize_data=serialize_data, **kwargs)

    def load_data_list(self) -> PoseTable:
        root = self.data_root
        if not root or not osp.isdir(root):
            raise FileNotFoundError(
                f'AFLW2000Dataset: data_root {root!r} is not a folder; it must be the '
                'AFLW2000 folder of the release holding image*.jpg + image*.mat')
        listing = scan_annotated_folder(
            root, '.mat', '.jpg', 'AFLW2000Dataset', 'the AFLW2000-3D release layout '
            '<data_root>/image00002.jpg + image00002.mat ...')
        arrays = load_folder_annotations(
            listing, 'aflw2000', parse_aflw2000_mat, parser_version=self.PARSER_VERSION,
            data_root=root, cache=self.cache, cache_dir=self.cache_dir,
            desc='parsing AFLW2000')
        keep = protocol_keep(arrays['angles'], self.filter_abs_angle)
        self.num_filtered = int((~keep).sum())
        if self.filter_abs_angle is not None:
            print_log(f'AFLW2000: {int(keep.sum())} of {len(keep)} images kept by the '
                      f'|angle| <= {self.filter_abs_angle} protocol filter '
                      f'({self.num_filtered} dropped)', logger='current')
        if not keep.any():
            raise ValueError(f'AFLW2000Dataset: no image of {root} is left after the '
                             f'|angle| <= {self.filter_abs_angle} filter')
        relpaths = np.char.add(arrays['stems'][keep], b'.jpg')
        boxes = scale_bboxes(arrays[f'bbox_{self.bbox_source}'][keep], self.bbox_scale)
        return PoseTable(root, relpaths, euler_to_matrix(arrays['angles'][keep]), boxes)


__all__ = ['AFLW2000Dataset', 'AFLW2000_BBOX_SOURCES', 'parse_aflw2000_mat', 'protocol_keep']
