"""Loading an image for the pipeline, with errors that name the file."""

import os.path as osp

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from headpose.datasets.base import ImageReadError
from headpose.registry import TRANSFORMS


def to_bgr(img: np.ndarray, where: str = 'image') -> np.ndarray:
    """Converts a grayscale, BGR or BGRA uint8 image into a 3-channel BGR image."""
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.ndim == 3 and img.shape[2] == 1:
        return cv2.cvtColor(img[..., 0], cv2.COLOR_GRAY2BGR)
    if img.ndim == 3 and img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    if img.ndim == 3 and img.shape[2] == 3:
        return img
    raise ValueError(f'{where}: unsupported image shape {img.shape}')


def read_image(path: str) -> np.ndarray:
    """Reads an image as BGR uint8; raises :class:`ImageReadError` naming ``path``."""
    if not osp.isfile(path):
        raise ImageReadError(f'image file not found: {path}')
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None or img.size == 0:
        raise ImageReadError(f'cannot decode image: {path}')
    if img.dtype != np.uint8:
        img = cv2.convertScaleAbs(img, alpha=255.0 / max(float(img.max()), 1.0))
    return to_bgr(img, path)


@TRANSFORMS.register_module()
class LoadImage(BaseTransform):
    """Loads ``results['img_path']`` as a BGR uint8 image into ``results['img']``.

    If ``results['img']`` is already set (rendered or given in memory), it is kept
    and only converted to BGR. Sets ``img_shape`` and ``ori_shape`` as (h, w).
    """

    def transform(self, results: dict) -> dict:
        img = results.get('img')
        if img is None:
            path = results.get('img_path')
            if path is None:
                raise ImageReadError('sample has neither an image nor an img_path')
            img = read_image(path)
        else:
            img = to_bgr(np.asarray(img), results.get('img_path') or 'image')
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results
