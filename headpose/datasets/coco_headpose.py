"""Multi-head images from a COCO-style head-pose JSON (CMU Panoptic as DirectMHP lays it out)."""

import logging
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.logging import print_log

from headpose.datasets.base import BaseHeadPoseDataset
from headpose.datasets.coco_topdown import read_coco_headpose
from headpose.registry import DATASETS
from headpose.structures import euler_to_matrix

#: Accepted label ranges in degrees (yaw, pitch, roll), inclusive.
ANGLE_LIMITS = ((-180.0, 180.0), (-90.0, 90.0), (-180.0, 180.0))


def parse_angles(ann: dict, where: str) -> np.ndarray:
    """(yaw, pitch, roll) in degrees from an annotation's ``euler_angles`` [pitch, yaw, roll].

    Raises:
        ValueError: naming ``where`` (file and annotation id) if the angles are
            missing, not three finite numbers, or out of ``ANGLE_LIMITS``.
    """
    ea = ann.get('euler_angles')
    if ea is None:
        raise ValueError(f"{where}: the pose angles are missing ('euler_angles')")
    try:
        pitch, yaw, roll = (float(v) for v in ea)
    except (TypeError, ValueError) as err:
        raise ValueError(f'{where}: euler_angles must be 3 numbers [pitch, yaw, roll], '
                         f'got {ea!r}') from err
    angles = np.array([yaw, pitch, roll])
    if not np.all(np.isfinite(angles)):
        raise ValueError(f'{where}: euler_angles must be finite, got {ea!r}')
    for name, value, (lo, hi) in zip(('yaw', 'pitch', 'roll'), angles, ANGLE_LIMITS):
        if not lo <= value <= hi:
            raise ValueError(f'{where}: {name} {value} is outside [{lo}, {hi}] degrees '
                             '(euler_angles are [pitch, yaw, roll] in degrees)')
    return angles


@DATASETS.register_module()
class CocoHeadPoseDataset(BaseHeadPoseDataset):
    """Images with every head's box and pose, from a COCO-style head-pose JSON.

    The layout (``read_coco_headpose``): ``images[]`` = {file_name, height, width, id};
    ``annotations[]`` = {bbox [x, y, w, h] of the head in pixels, euler_angles
    [pitch, yaw, roll] in degrees (yaw over (-180, 180] for full-range data),
    image_id, id, category_id, iscrowd}. Each sample has ``gt_bboxes`` (K, 4) xyxy and
    ``gt_rotations`` (K, 3, 3) (headpose's convention, ``euler_to_matrix``).

    Bad input is handled so, with counts logged when the file is loaded:

    * angles missing, not three finite numbers or out of range (|yaw| > 180,
      |pitch| > 90, |roll| > 180): ``ValueError`` naming the file and annotation id;
    * an annotation whose ``image_id`` is not in ``images[]``: ``ValueError``;
    * a box partly outside the image: clipped to it;
    * a box entirely outside the image, or degenerate (width or height <= 0 after
      clipping, or below ``min_size``): the annotation is dropped;
    * ``iscrowd = 1`` annotations: dropped;
    * an image with no head left: dropped if ``filter_empty`` (default: in training
      only), kept otherwise (a negative example).

    Args:
        ann_file: the JSON file (relative to ``data_root``).
        data_root: the dataset's root folder.
        data_prefix: ``dict(img='images/')``, where the image files are.
        filter_empty: drop images without heads; ``None``: only when not ``test_mode``.
        min_size: smallest kept box side in pixels, after clipping.
        **kwargs: the arguments of :class:`BaseHeadPoseDataset`; ``full_range``
            (the Euler branch of the labels for metrics and drawings) defaults to what
            the labels need: true if any |yaw| exceeds 90 degrees (both branches give
            the same angles otherwise, since |pitch| <= 90 here).
    """

    def __init__(self, ann_file: str, data_root: str = '', data_prefix: dict = dict(img=''),
                 filter_empty: Optional[bool] = None, min_size: float = 1.0, **kwargs):
        if data_root and not osp.isdir(data_root):
            raise FileNotFoundError(f'data root not found: {data_root}')
        self._infer_range = kwargs.get('full_range') is None
        kwargs['full_range'] = bool(kwargs.get('full_range'))
        self.filter_empty = filter_empty
        self.min_size = min_size
        self.load_report = {}
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         **kwargs)

    def load_data_list(self) -> List[dict]:
        coco = read_coco_headpose(self.ann_file)
        img_dir = self.data_prefix.get('img', '')
        anns_of = {img['id']: [] for img in coco['images']}
        for ann in coco['annotations']:
            if ann.get('image_id') not in anns_of:
                raise ValueError(f'{self.ann_file}: annotation id {ann.get("id")}: image_id '
                                 f'{ann.get("image_id")} is not in images[]')
            anns_of[ann['image_id']].append(ann)
        filter_empty = (not self.test_mode) if self.filter_empty is None else self.filter_empty
        report = dict(images=len(coco['images']), heads=0, clipped=0, dropped_boxes=0,
                      crowd=0, empty_images=0, max_abs_yaw=0.0)
        data_list = []
        for image in coco['images']:
            boxes, rotations, ann_ids = self._parse_image(image, anns_of[image['id']], report)
            if not boxes:
                report['empty_images'] += 1
                if filter_empty:
                    continue
            data_list.append(dict(
                img_path=osp.join(img_dir, image['file_name']), img_id=image['id'],
                height=image.get('height'), width=image.get('width'),
                gt_bboxes=np.asarray(boxes, np.float32).reshape(-1, 4),
                gt_rotations=np.asarray(rotations, np.float64).reshape(-1, 3, 3),
                ann_ids=ann_ids))
        self.load_report = report
        if self._infer_range:  # full range exactly when a label needs it
            self.full_range = report['max_abs_yaw'] > 90
            self._metainfo['full_range'] = self.full_range
        self._log_report(report, filter_empty, len(data_list))
        return data_list

    def _parse_image(self, image: dict, anns: Sequence[dict], report: dict) -> tuple:
        h, w = image.get('height'), image.get('width')
        boxes, angles, ann_ids = [], [], []
        for ann in anns:
            where = f'{self.ann_file}: annotation id {ann.get("id")}'
            if ann.get('iscrowd', 0):
                report['crowd'] += 1
                continue
            pose = parse_angles(ann, where)
            bbox = ann.get('bbox')
            if bbox is None or len(bbox) != 4 or not np.all(np.isfinite(bbox)):
                raise ValueError(f'{where}: bbox must be 4 finite numbers [x, y, w, h], '
                                 f'got {bbox!r}')
            x, y, bw, bh = (float(v) for v in bbox)
            box = np.array([x, y, x + bw, y + bh])
            clipped = box if h is None or w is None else np.clip(box, 0, [w, h, w, h])
            if min(clipped[2] - clipped[0], clipped[3] - clipped[1]) < max(self.min_size, 1e-6):
                report['dropped_boxes'] += 1
                continue
            if not np.array_equal(clipped, box):
                report['clipped'] += 1
                box = clipped
            boxes.append(box)
            angles.append(pose)
            ann_ids.append(ann.get('id'))
        report['heads'] += len(boxes)
        if angles:
            report['max_abs_yaw'] = max(report['max_abs_yaw'],
                                        float(np.abs(np.asarray(angles)[:, 0]).max()))
        rotations = list(euler_to_matrix(np.asarray(angles).reshape(-1, 3)))
        return boxes, rotations, ann_ids

    def _log_report(self, report: dict, filter_empty: bool, kept: int) -> None:
        msg = (f'{type(self).__name__} {self.ann_file}: {kept} of {report["images"]} images, '
               f'{report["heads"]} heads; {report["clipped"]} boxes clipped to the image, '
               f'{report["dropped_boxes"]} degenerate or outside boxes dropped, '
               f'{report["crowd"]} crowd annotations dropped, {report["empty_images"]} '
               f'images without heads ' + ('dropped' if filter_empty else 'kept'))
        bad = report['dropped_boxes'] + report['crowd'] + (
            report['empty_images'] if filter_empty else 0)
        print_log(msg, logger='current', level=logging.WARNING if bad else logging.INFO)


__all__ = ['ANGLE_LIMITS', 'CocoHeadPoseDataset', 'parse_angles']
