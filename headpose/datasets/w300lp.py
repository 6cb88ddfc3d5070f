"""300W-LP: the synthesised large-pose training set, read from its release layout unchanged."""

import os.path as osp
import re
from typing import Optional, Sequence

import numpy as np
from mmengine.logging import print_log

from headpose.registry import DATASETS
from headpose.structures import euler_to_matrix

from .ann_cache import PoseTable, load_folder_annotations, scan_annotated_folder
from .base import BaseHeadPoseDataset
from .mat_utils import landmark_bbox, pose_para_to_angles, read_mat, scale_bboxes

#: The four source subsets of 300W-LP; each has a mirrored copy ``<name>_Flip``.
W300LP_BASE_SUBSETS = ('AFW', 'HELEN', 'IBUG', 'LFPW')
#: All eight folders of the release (122,450 images in a complete copy).
W300LP_SUBSETS = W300LP_BASE_SUBSETS + tuple(f'{s}_Flip' for s in W300LP_BASE_SUBSETS)

_TRAILING_K = re.compile(r'_\d+$')


def w300lp_identity(subset: str, stem: str) -> str:
    """The person shown: the subset folder and the file name without its trailing ``_k``.

    ``IBUG/IBUG_image_008_1_0`` -> ``'IBUG/IBUG_image_008_1'``: every ``k`` of one
    source image is the same person seen at another synthesised pose. The subset stays
    in the identity, so a ``*_Flip`` copy is its own identity.
    """
    return f'{subset}/{_TRAILING_K.sub("", stem)}'


def w300lp_identity_codes(subset: str, stems: np.ndarray) -> tuple:
    """:func:`w300lp_identity` for a bytes array of stems, vectorised.

    Returns:
        ``(codes (N,) int32, names)``: ``names[codes[i]]`` is the identity of stem ``i``.
    """
    head, sep, tail = np.char.rpartition(stems, b'_').T
    base = np.where((sep == b'_') & np.char.isdigit(tail), head, stems)
    uniq, codes = np.unique(base, return_inverse=True)
    names = np.array([f'{subset}/{u.decode("utf-8")}' for u in uniq], dtype=np.str_)
    return codes.astype(np.int32).reshape(-1), names


def parse_w300lp_mat(path: str) -> dict:
    """One 300W-LP ``.mat`` -> ``dict(angles=(yaw, pitch, roll) degrees, bbox=tight pt2d box)``.

    Raises:
        ValueError: naming the file if ``Pose_Para`` or ``pt2d`` is missing or invalid.
    """
    mat = read_mat(path, ('Pose_Para', 'pt2d'))
    return dict(angles=pose_para_to_angles(mat['Pose_Para'], path),
                bbox=landmark_bbox(mat['pt2d'], path))


@DATASETS.register_module()
class W300LPDataset(BaseHeadPoseDataset):
    """300W-LP (Zhu et al., CVPR 2016), read from the release folders as they are.

    ``data_root`` holds the folders ``AFW HELEN IBUG LFPW`` and their mirrored copies
    ``*_Flip``, each with ``<name>.jpg`` + ``<name>.mat`` pairs (see
    ``docs/dataset_prepare.md``). Labels: ``Pose_Para`` -> (yaw, pitch, roll) =
    (Pose_Para[1], Pose_Para[0], Pose_Para[2]) in degrees, then the canonical rotation
    by ``euler_to_matrix``. Head box: the box of the 68 ``pt2d`` landmarks, scaled by
    ``bbox_scale`` about its centre (the landmarks stop at the brows, so the default
    enlarges it). Identity (for the ranking pairs): :func:`w300lp_identity`.

    Annotations are parsed once and cached (see :mod:`headpose.datasets.ann_cache`);
    the index is a compact :class:`PoseTable`, not a list of dicts.

    Args:
        subsets: which of :data:`W300LP_SUBSETS` to read.
        bbox_scale: factor on the landmark box's width and height.
        cache: use the annotation cache.
        cache_dir: where the cache lives (default: see :mod:`~headpose.datasets.ann_cache`).
        serialize_data: mmengine's option; ``False`` because the table is compact already.
        **kwargs: the arguments of :class:`BaseHeadPoseDataset` (``data_root``,
            ``pipeline``, ``test_mode``, ...).
    """

    PARSER_VERSION = 1

    def __init__(self, subsets: Sequence[str] = W300LP_SUBSETS, bbox_scale: float = 1.2,
                 cache: bool = True, cache_dir: Optional[str] = None,
                 serialize_data: bool = False, **kwargs):
        subsets = [subsets] if isinstance(subsets, str) else list(subsets)
        unknown = [s for s in subsets if s not in W300LP_SUBSETS]
        if unknown or not subsets:
            raise ValueError(f'W300LPDataset: unknown subsets {unknown or subsets}; choose '
                             f'from {list(W300LP_SUBSETS)}')
        self.subsets = subsets
        self.bbox_scale = bbox_scale
        self.cache = cache
        self.cache_dir = cache_dir
        super().__init__(serialize_data=serialize_data, **kwargs)

    def load_data_list(self) -> PoseTable:
        root = self.data_root
        if not root or not osp.isdir(root):
            raise FileNotFoundError(
                f'W300LPDataset: data_root {root!r} is not a folder; it must be the 300W_LP '
                f'folder of the release holding {", ".join(W300LP_SUBSETS)}')
        absent = [s for s in self.subsets if not osp.isdir(osp.join(root, s))]
        if absent:
            raise FileNotFoundError(
                f'W300LPDataset: {root} has no subset folder {", ".join(absent)}; expected '
                f'the 300W_LP release layout <data_root>/{{{",".join(W300LP_SUBSETS)}}}/'
                '<name>.jpg + <name>.mat (see docs/dataset_prepare.md)')
        tables = [self._load_subset(s) for s in self.subsets]
        table = PoseTable.concat(tables)
        print_log(f'300W-LP: {len(table)} images of {len(table.identity_names)} identities '
                  f'from {", ".join(self.subsets)}', logger='current')
        return table

    def _load_subset(self, subset: str) -> PoseTable:
        folder = osp.join(self.data_root, subset)
        listing = scan_annotated_folder(folder, '.mat', '.jpg', 'W300LPDataset',
                                        '<name>.jpg + <name>.mat pairs')
        arrays = load_folder_annotations(
            listing, '300wlp', parse_w300lp_mat, parser_version=self.PARSER_VERSION,
            data_root=self.data_root, cache=self.cache, cache_dir=self.cache_dir,
            desc=f'parsing 300W-LP {subset}')
        codes, names = w300lp_identity_codes(subset, arrays['stems'])
        relpaths = np.char.add(np.char.add(f'{subset}/'.encode(), arrays['stems']), b'.jpg')
        return PoseTable(self.data_root, relpaths, euler_to_matrix(arrays['angles']),
                         scale_bboxes(arrays['bbox'], self.bbox_scale), codes, names)

    def get_identity(self, idx: int) -> Optional[str]:
        self.full_init()
        if isinstance(self.data_list, PoseTable) and not self.serialize_data:
            return self.data_list.identity(idx)
        return super().get_identity(idx)


__all__ = ['W300LPDataset', 'W300LP_SUBSETS', 'W300LP_BASE_SUBSETS', 'parse_w300lp_mat',
           'w300lp_identity', 'w300lp_identity_codes']
