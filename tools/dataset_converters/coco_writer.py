"""What the head-pose converters share: a COCO-style writer that reports what it skipped.

The layout (DirectMHP's, read by ``TopDownCocoDataset``): ``images[]`` = {file_name,
height, width, id}; ``annotations[]`` = {bbox [x, y, w, h] of the head in pixels,
euler_angles [pitch, yaw, roll] in degrees, image_id, id, category_id 1, iscrowd 0,
area, and optionally identity}; ``categories`` = [{id 1, name 'person'}].
"""

import json
import os
import os.path as osp
from collections import OrderedDict
from typing import Optional, Sequence, Tuple

import cv2


def check_output(out_file: str, overwrite: bool) -> None:
    """Refuses to replace an existing output unless ``overwrite``; checks the suffix."""
    if not out_file.endswith('.json'):
        raise SystemExit(f'--out must be a .json file, got {out_file}')
    if osp.exists(out_file) and not overwrite:
        raise SystemExit(f'{out_file} exists; pass --overwrite to replace it')


def image_size(path: str) -> Tuple[int, int]:
    """``(width, height)`` of an image, from its header when Pillow is there.

    Raises:
        OSError: naming the file if it is missing or cannot be read.
    """
    if not osp.isfile(path):
        raise OSError(f'image file not found: {path}')
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if img is None:
            raise OSError(f'cannot decode image: {path}')
        return img.shape[1], img.shape[0]
    try:
        with Image.open(path) as img:
            return img.size
    except Exception as err:
        raise OSError(f'cannot read image {path}: {err}')


class CocoHeadPoseWriter:
    """Collects images and head annotations, and the files skipped with their reasons.

    Args:
        out_file: the JSON file to write.
        overwrite: replace an existing ``out_file``.
    """

    def __init__(self, out_file: str, overwrite: bool = False):
        check_output(out_file, overwrite)
        self.out_file = out_file
        self.images, self.annotations = [], []
        self.skipped: 'OrderedDict[str, list]' = OrderedDict()

    def add(self, file_name: str, width: int, height: int, bbox_xyxy: Sequence[float],
            angles: Sequence[float], **extra) -> None:
        """Adds one image with one head.

        Args:
            file_name: the image path relative to the data root.
            width: image width in pixels.
            height: image height in pixels.
            bbox_xyxy: the head box [x1, y1, x2, y2].
            angles: (yaw, pitch, roll) in degrees; written as [pitch, yaw, roll].
            **extra: more annotation fields (e.g. ``identity``).
        """
        img_id = len(self.images) + 1
        x1, y1, x2, y2 = (float(v) for v in bbox_xyxy)
        yaw, pitch, roll = (float(v) for v in angles)
        self.images.append(dict(file_name=file_name, height=int(height), width=int(width),
                                id=img_id))
        self.annotations.append(dict(
            id=img_id, image_id=img_id, category_id=1, iscrowd=0,
            bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1),
            euler_angles=[pitch, yaw, roll], **extra))

    def skip(self, reason: str, item: str) -> None:
        """Records that ``item`` was left out because of ``reason``."""
        self.skipped.setdefault(reason, []).append(item)

    def summary(self, examples: int = 3) -> str:
        """What was written and what was skipped, why, with a few examples."""
        lines = [f'{len(self.images)} images with head pose written to {self.out_file}']
        total = sum(len(v) for v in self.skipped.values())
        lines.append(f'skipped: {total}' + ('' if total else ' (nothing)'))
        for reason, items in self.skipped.items():
            shown = ', '.join(items[:examples]) + (', ...' if len(items) > examples else '')
            lines.append(f'  {len(items):7d}  {reason}: {shown}')
        return '\n'.join(lines)

    def write(self, info: Optional[dict] = None) -> dict:
        """Writes the JSON (to a temporary name, then renamed), prints the summary.

        Returns:
            ``dict(out_file, num_images, skipped={reason: count})``.
        """
        if not self.images:
            print(self.summary())
            raise SystemExit(f'nothing to write: every file was skipped; {self.out_file} '
                             'is not written')
        coco = dict(info=info or {}, images=self.images, annotations=self.annotations,
                    categories=[dict(id=1, name='person')])
        os.makedirs(osp.dirname(osp.abspath(self.out_file)), exist_ok=True)
        tmp = f'{self.out_file}.part'
        with open(tmp, 'w') as f:
            json.dump(coco, f)
        os.replace(tmp, self.out_file)
        print(self.summary())
        return dict(out_file=self.out_file, num_images=len(self.images),
                    skipped={k: len(v) for k, v in self.skipped.items()})
