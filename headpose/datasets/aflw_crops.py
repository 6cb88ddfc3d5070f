"""AFLW face crops with AFLW's yaw (3DDFA's AFLW protocol), pitch and roll from a teacher."""

import json
import logging
import os
import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.logging import print_log

from headpose.registry import DATASETS
from headpose.structures import euler_to_matrix

from .base import BaseHeadPoseDataset

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png')


def image_stem(name: str) -> str:
    """``'a/image00002.jpg'`` -> ``'image00002'``: how images are matched across releases."""
    return osp.splitext(osp.basename(name.strip()))[0]


def names_to_exclude(exclude_lists: Sequence[str], exclude_dirs: Sequence[str]) -> set:
    """The image names (stems: no folder, no suffix) that must never be read.

    Args:
        exclude_lists: text files of image names, one a line, with or without folder and
            suffix (e.g. the 2,000 names of AFLW2000-3D, ``image00002``).
        exclude_dirs: folders whose images are excluded by name (e.g. the test set's).

    Raises:
        FileNotFoundError: naming a list or folder that is not there: an exclusion that
            silently excludes nothing would let test images into training.
    """
    names = set()
    for path in exclude_lists:
        if not osp.isfile(path):
            raise FileNotFoundError(f'AFLWCropsDataset: exclusion list {path} not found')
        with open(path) as f:
            names.update(image_stem(line) for line in f if line.strip())
    for folder in exclude_dirs:
        if not osp.isdir(folder):
            raise FileNotFoundError(f'AFLWCropsDataset: exclusion folder {folder} not found')
        names.update(image_stem(n) for n in os.listdir(folder)
                     if n.lower().endswith(IMAGE_SUFFIXES))
    return names


def read_teacher_labels(path: str) -> dict:
    """A ``pseudo_label.py`` JSON -> ``{image stem: (yaw, pitch, roll, score)}`` of the first
    head of each image.

    Raises:
        FileNotFoundError / ValueError: naming the file (with the command that makes it).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'AFLWCropsDataset: teacher labels {path} not found; make them with the command '
            "on the config's '# prepare:' line (tools/dataset_converters/pseudo_label.py)")
    with open(path) as f:
        coco = json.load(f)
    try:
        names = {img['id']: image_stem(img['file_name']) for img in coco['images']}
        labels = {}
        for ann in coco['annotations']:
            name = names[ann['image_id']]
            if name not in labels:
                pitch, yaw, roll = (float(v) for v in ann['euler_angles'])
                labels[name] = (yaw, pitch, roll, float(ann.get('score', 1.0)))
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f'AFLWCropsDataset: {path} is not a pseudo_label.py head-pose JSON '
                         f'(images[], annotations[] with image_id, euler_angles): {err!r}')
    return labels


@DATASETS.register_module()
class AFLWCropsDataset(BaseHeadPoseDataset):
    """Real faces of AFLW (Koestinger et al., 2011) with AFLW's yaw: 3DDFA's AFLW crops.

    The release layout (XgTu/2DASL's ``test.data`` and cleardusk/3DDFA's
    ``test.configs``, see docs/dataset_prepare.md)::

        data_root/AFLW_GT_crop/image00002.jpg ...   120 x 120 face crops
        data_root/AFLW_GT_crop.list                 their names, one a line
        data_root/AFLW_GT_crop_yaws.npy             AFLW's yaw of each, in list order

    Each crop is one head, its box the whole crop. AFLW gives only yaw; pitch and roll
    come from a teacher's labels (``teacher_file``, written by
    ``tools/dataset_converters/pseudo_label.py --crops``), as partial labels
    (``gt_angle_weights``): an angle with weight 0 is unknown and not trained on. Per crop:

    * yaw: AFLW's, weight 1; where the teacher is confident and AFLW's |yaw| is below
      ``teacher_yaw_below``, the teacher's (on near-frontal faces it agrees with
      AFLW2000-3D's labels better than AFLW's own annotation does);
    * pitch and roll: the teacher's, weight 1, where its confidence is at least
      ``teacher_min_score`` and AFLW's |yaw| at most ``teacher_max_yaw`` (the landmark
      route fails on profiles); else unknown.

    Test images never enter: every name in ``exclude_lists`` (e.g. the 2,000 names of
    AFLW2000-3D, which shares AFLW's numbering) or present in ``exclude_dirs`` (e.g. the
    test set's folder) is dropped from the list before anything is read, and the count is
    logged. Crops with |yaw| > ``max_abs_yaw`` are dropped (the narrow Euler branch of
    the RankPose heads cannot express them).

    AFLW has no identities. ``pairing='twin'``: each crop is its own (``identity``), so
    ``PairDataset`` pairs a crop with an augmented twin of itself, whose pose differs by
    the random flip (yaw and roll change sign): the ranking loss then ranks the two along
    those angles. ``pairing='across'``: all crops share one identity, so a crop is paired
    with another person's (the ranking loss ranks them along the angles both know).

    Args:
        data_root: the release folder.
        list_file: the list, relative to ``data_root``.
        img_dir: the crops' folder, relative to ``data_root``.
        yaw_file: the yaws, relative to ``data_root``.
        exclude_lists: name lists to leave out (see above).
        exclude_dirs: folders whose image names to leave out.
        teacher_file: the teacher's labels (``None``: yaw only).
        teacher_min_score: the confidence from which the teacher's angles are used.
        teacher_max_yaw: the largest |yaw| (AFLW's) at which the teacher's pitch and roll
            are used.
        teacher_yaw_below: the |yaw| (AFLW's) below which the teacher's yaw replaces
            AFLW's; ``None``: never.
        max_abs_yaw: drop crops with a larger |yaw|.
        pairing: ``'twin'`` or ``'across'`` (see above).
        **kwargs: the arguments of :class:`BaseHeadPoseDataset`.
    """

    def __init__(self, data_root: str, list_file: str = 'AFLW_GT_crop.list',
                 img_dir: str = 'AFLW_GT_crop', yaw_file: str = 'AFLW_GT_crop_yaws.npy',
                 exclude_lists: Union[str, Sequence[str]] = (),
                 exclude_dirs: Union[str, Sequence[str]] = (),
                 teacher_file: Optional[str] = None, teacher_min_score: float = 0.4,
                 teacher_max_yaw: float = 60.0, teacher_yaw_below: Optional[float] = None,
                 max_abs_yaw: float = 90.0, pairing: str = 'twin', **kwargs):
        if pairing not in ('twin', 'across'):
            raise ValueError(f"AFLWCropsDataset: pairing must be 'twin' or 'across', got "
                             f'{pairing!r}')
        self.pairing = pairing
        self.list_file = list_file
        self.img_dir = img_dir
        self.yaw_file = yaw_file
        self.exclude_lists = [exclude_lists] if isinstance(exclude_lists, str) else \
            list(exclude_lists)
        self.exclude_dirs = [exclude_dirs] if isinstance(exclude_dirs, str) else \
            list(exclude_dirs)
        self.teacher_file = teacher_file
        self.teacher_min_score = teacher_min_score
        self.teacher_max_yaw = teacher_max_yaw
        self.teacher_yaw_below = teacher_yaw_below
        self.max_abs_yaw = max_abs_yaw
        self.num_excluded = 0
        super().__init__(data_root=data_root, **kwargs)

    def _release(self) -> tuple:
        root = self.data_root
        list_path = osp.join(root, self.list_file)
        yaw_path = osp.join(root, self.yaw_file)
        for path in (list_path, yaw_path, osp.join(root, self.img_dir)):
            if not osp.exists(path):
                raise FileNotFoundError(
                    f'AFLWCropsDataset: {path} not found; data_root must hold the release '
                    f'layout {self.img_dir}/, {self.list_file} and {self.yaw_file} '
                    '(docs/dataset_prepare.md)')
        with open(list_path) as f:
            names = [line.strip() for line in f if line.strip()]
        yaws = np.load(yaw_path).astype(np.float64).reshape(-1)
        if len(yaws) != len(names):
            raise ValueError(f'AFLWCropsDataset: {yaw_path} has {len(yaws)} yaws but '
                             f'{list_path} {len(names)} names')
        if not np.all(np.isfinite(yaws)):
            bad = names[int(np.flatnonzero(~np.isfinite(yaws))[0])]
            raise ValueError(f'AFLWCropsDataset: {yaw_path} has a yaw that is not finite '
                             f'(first: {bad})')
        return names, yaws

    def load_data_list(self) -> List[dict]:
        names, yaws = self._release()
        excluded = names_to_exclude(self.exclude_lists, self.exclude_dirs)
        keep = np.array([image_stem(n) not in excluded for n in names], dtype=bool)
        self.num_excluded = int((~keep).sum())
        dropped = [n for n, k in zip(names, keep) if not k]
        print_log(f'AFLWCropsDataset: {self.num_excluded} of {len(names)} crops left out by '
                  f'the exclusions ({len(excluded)} names)'
                  + (f', e.g. {", ".join(dropped[:3])}' if dropped else ''), logger='current')
        if not self.exclude_lists and not self.exclude_dirs:
            print_log('AFLWCropsDataset: no exclusion given; a release that holds AFLW2000-3D '
                      'images (the full one does) must exclude them: exclude_lists='
                      "['.../aflw2000_names.txt']", logger='current', level=logging.WARNING)
        in_range = np.abs(yaws) <= self.max_abs_yaw
        teacher = read_teacher_labels(self.teacher_file) if self.teacher_file else {}
        data_list, counts = [], dict(pose=0, yaw=0, no_label=0)
        img_root = osp.join(self.data_root, self.img_dir)
        for i in np.flatnonzero(keep & in_range):
            name, yaw = names[i], float(yaws[i])
            angles, weights = [yaw, 0.0, 0.0], [1.0, 0.0, 0.0]
            label = teacher.get(image_stem(name))
            if label is None:
                counts['no_label'] += 1 if teacher else 0
            elif label[3] >= self.teacher_min_score:
                if self.teacher_yaw_below is not None and abs(yaw) < self.teacher_yaw_below:
                    angles[0] = label[0]
                if abs(yaw) <= self.teacher_max_yaw:
                    angles[1:], weights[1:] = list(label[1:3]), [1.0, 1.0]
            counts['pose' if weights[1] else 'yaw'] += 1
            data_list.append(dict(
                img_path=osp.join(img_root, name), gt_rotations=euler_to_matrix(
                    np.array(angles))[None], gt_angle_weights=np.array([weights], np.float32),
                identity=f'aflw/{name}' if self.pairing == 'twin' else 'aflw'))
        print_log(f'AFLWCropsDataset: {len(data_list)} crops ({int((~in_range & keep).sum())} '
                  f'with |yaw| > {self.max_abs_yaw} dropped): {counts["pose"]} with the '
                  f"teacher's pitch and roll, {counts['yaw']} with yaw alone"
                  + (f" ({counts['no_label']} not in {self.teacher_file})"
                     if counts['no_label'] else ''), logger='current')
        if not data_list:
            raise ValueError(f'AFLWCropsDataset: no crop of {self.data_root} is left')
        return data_list


__all__ = ['AFLWCropsDataset', 'image_stem', 'names_to_exclude', 'read_teacher_labels']
