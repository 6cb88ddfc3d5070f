"""Head crops from a COCO-style head-pose annotation file, one sample per annotated head."""

import json
import os.path as osp
from typing import List

from headpose.datasets.base import BaseHeadPoseDataset
from headpose.registry import DATASETS


def read_coco_headpose(ann_file: str) -> dict:
    """Reads and checks a COCO-style head-pose JSON (``images``, ``annotations``).

    The layout (DirectMHP's, also written by our converters): ``images[]`` =
    {file_name, height, width, id}; ``annotations[]`` = {bbox [x, y, w, h] of the
    head in pixels, euler_angles [pitch, yaw, roll] in degrees, image_id, id, ...}.

    Raises:
        FileNotFoundError: naming ``ann_file`` if it does not exist.
        ValueError: naming the file and the missing key if the layout is wrong.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'annotation file not found: {ann_file}')
    with open(ann_file) as f:
        try:
            coco = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{ann_file}: not valid JSON ({err})') from err
    for key in ('images', 'annotations'):
        if key not in coco:
            raise ValueError(f"{ann_file}: missing the top-level key '{key}'")
    return coco


@DATASETS.register_module()
class TopDownCocoDataset(BaseHeadPoseDataset):
    """One sample per annotated head of a COCO-style head-pose JSON (see ``read_coco_headpose``).

    Pose labels are ``euler_angles`` = [pitch, yaw, roll] in degrees; a NaN, infinite
    or missing angle is an error naming the annotation id. An optional ``identity``
    per annotation enables ranking pairs (``make_synthheads.py`` writes one).

    Args:
        ann_file: the JSON file (relative to ``data_root``).
        data_root: the dataset's root folder; must exist.
        data_prefix: ``dict(img='images/')``, where the image files are.
        **kwargs: the arguments of :class:`BaseHeadPoseDataset`.
    """

    def __init__(self, ann_file: str, data_root: str = '', data_prefix: dict = dict(img=''),
                 **kwargs):
        if data_root and not osp.isdir(data_root):
            raise FileNotFoundError(f'data root not found: {data_root}')
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         **kwargs)

    def load_data_list(self) -> List[dict]:
        coco = read_coco_headpose(self.ann_file)
        images = {img['id']: img for img in coco['images']}
        img_dir = self.data_prefix.get('img', '')
        data_list = []
        for ann in coco['annotations']:
            where = f'{self.ann_file}: annotation id {ann.get("id")}'
            image = images.get(ann.get('image_id'))
            if image is None:
                raise ValueError(f'{where}: image_id {ann.get("image_id")} is not in images[]')
            if 'euler_angles' not in ann:
                raise ValueError(f"{where}: the pose angles are missing ('euler_angles')")
            ea = ann['euler_angles']
            angles = None if ea is None or len(ea) != 3 else [ea[1], ea[0], ea[2]]
            x, y, w, h = ann['bbox']
            data_list.append(self.pose_sample(
                osp.join(img_dir, image['file_name']), angles, where,
                bbox=[x, y, x + w, y + h],
                identity=ann.get('identity'), ann_id=ann.get('id')))
        return data_list
