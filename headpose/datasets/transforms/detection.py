"""Detection transforms for multi-head images: letterbox, random affine, photometric distortion.

They act on ``img`` and on the per-head labels ``gt_bboxes`` (K, 4) xyxy,
``gt_rotations`` (K, 3, 3) and, for partial labels, ``gt_angle_weights`` (K, 3), which
stay aligned: a head dropped from one is dropped from the others.
"""

import logging
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from headpose.registry import TRANSFORMS
from headpose.structures import rotate_in_plane


def _labels(results: dict) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    boxes = np.asarray(results.get('gt_bboxes', np.zeros((0, 4))), np.float32).reshape(-1, 4)
    rots = results.get('gt_rotations')
    if rots is not None:
        rots = np.asarray(rots, np.float64).reshape(-1, 3, 3)
        if len(rots) != len(boxes):
            raise ValueError(f'{results.get("img_path", "image")}: {len(boxes)} gt_bboxes but '
                             f'{len(rots)} gt_rotations')
    return boxes, rots


@TRANSFORMS.register_module()
class LetterBox(BaseTransform):
    """Resizes keeping the aspect ratio so the image fits ``scale``, then pads to it.

    The image is centred in the padded canvas. Boxes are scaled and shifted; poses
    do not change. ``scale_factor`` (w, h) and ``pad_param`` (top, bottom, left,
    right) are recorded, so that ``YOLOV3Head.predict`` maps its boxes back to the
    original image.

    Args:
        scale: output ``(width, height)``.
        pad_val: grey level of the padding.
        allow_scale_up: enlarge images smaller than ``scale`` (otherwise only pad).
    """

    def __init__(self, scale: Sequence[int] = (416, 416), pad_val: int = 114,
                 allow_scale_up: bool = True):
        self.scale = (int(scale[0]), int(scale[1]))
        self.pad_val = pad_val
        self.allow_scale_up = allow_scale_up

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        out_w, out_h = self.scale
        ratio = min(out_w / w, out_h / h)
        if not self.allow_scale_up:
            ratio = min(ratio, 1.0)
        new_w, new_h = int(round(w * ratio)), int(round(h * ratio))
        if (new_w, new_h) != (w, h):
            img = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        top, left = (out_h - new_h) // 2, (out_w - new_w) // 2
        bottom, right = out_h - new_h - top, out_w - new_w - left
        img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT,
                                 value=(self.pad_val, ) * 3)
        sx, sy = new_w / w, new_h / h
        boxes, _ = _labels(results)
        if 'gt_bboxes' in results:
            results['gt_bboxes'] = boxes * np.array([sx, sy, sx, sy], np.float32) + \
                np.array([left, top, left, top], np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['scale_factor'] = (sx, sy)
        results['pad_param'] = np.array([top, bottom, left, right], np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale={self.scale}, pad_val={self.pad_val}, '
                f'allow_scale_up={self.allow_scale_up})')


def affine_boxes(boxes: np.ndarray, matrix: np.ndarray, angle: float,
                 scale: float) -> np.ndarray:
    """Boxes after an affine map of rotation ``angle`` (degrees) and ``scale``.

    A head is modelled by the ellipse inscribed in its box: the box's centre is
    mapped by ``matrix`` and the new box bounds the rotated ellipse. Unlike bounding
    the four rotated corners, this does not inflate boxes under small rotations, and
    it is exact for multiples of 90 degrees.
    """
    if len(boxes) == 0:
        return boxes.reshape(0, 4)
    centers = (boxes[:, :2] + boxes[:, 2:]) / 2
    centers = centers @ matrix[:, :2].T + matrix[:, 2]
    a = (boxes[:, 2] - boxes[:, 0]) / 2 * scale
    b = (boxes[:, 3] - boxes[:, 1]) / 2 * scale
    t = np.deg2rad(angle)
    c2, s2 = np.cos(t) ** 2, np.sin(t) ** 2
    half = np.stack([np.sqrt(a * a * c2 + b * b * s2), np.sqrt(a * a * s2 + b * b * c2)], 1)
    return np.concatenate([centers - half, centers + half], 1).astype(np.float32)


@TRANSFORMS.register_module()
class RandomAffine(BaseTransform):
    """Random rotation in the image plane, scaling and translation, keeping the labels right.

    The image is rotated counter-clockwise by an angle from
    ``[-max_rotate_degree, max_rotate_degree]`` and scaled by a factor from
    ``scaling_ratio_range`` about its centre, then shifted by up to
    ``max_translate_ratio`` of its size; the output has the input's size. Each
    rotation label becomes ``rotate_in_plane(R, angle)`` (a roll change); boxes are
    mapped with :func:`affine_boxes` and clipped to the image. A head whose clipped
    box keeps less than ``min_area_ratio`` of its area, or is narrower or lower than
    ``min_bbox_size`` pixels, is dropped with its rotation.

    Args:
        max_rotate_degree: the largest rotation, in degrees.
        max_translate_ratio: the largest shift, as a fraction of width and height.
        scaling_ratio_range: range of the scale factor.
        border_val: grey level of the uncovered area.
        min_bbox_size: smallest kept box side, in pixels.
        min_area_ratio: smallest kept fraction of a box's area inside the image.
        prob: probability of applying the transform.
    """

    def __init__(self, max_rotate_degree: float = 10.0, max_translate_ratio: float = 0.1,
                 scaling_ratio_range: Sequence[float] = (0.5, 1.5), border_val: int = 114,
                 min_bbox_size: float = 2.0, min_area_ratio: float = 0.3, prob: float = 1.0):
        self.max_rotate_degree = max_rotate_degree
        self.max_translate_ratio = max_translate_ratio
        self.scaling_ratio_range = tuple(scaling_ratio_range)
        self.border_val = border_val
        self.min_bbox_size = min_bbox_size
        self.min_area_ratio = min_area_ratio
        self.prob = prob

    def _draw(self, w: int, h: int) -> Tuple[float, float, float, float]:
        angle = np.random.uniform(-self.max_rotate_degree, self.max_rotate_degree)
        scale = np.random.uniform(*self.scaling_ratio_range)
        tx, ty = np.random.uniform(-self.max_translate_ratio, self.max_translate_ratio, 2)
        return float(angle), float(scale), float(tx * w), float(ty * h)

    def apply(self, results: dict, angle: float, scale: float = 1.0, tx: float = 0.0,
              ty: float = 0.0) -> dict:
        """Applies one given affine map (counter-clockwise ``angle`` in degrees)."""
        img = results['img']
        h, w = img.shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, scale)
        matrix[:, 2] += (tx, ty)
        results['img'] = cv2.warpAffine(img, matrix, (w, h), flags=cv2.INTER_LINEAR,
                                        borderMode=cv2.BORDER_CONSTANT,
                                        borderValue=(self.border_val, ) * 3)
        boxes, rots = _labels(results)
        moved = affine_boxes(boxes, matrix, angle, scale)
        clipped = np.clip(moved, 0, [w, h, w, h]).astype(np.float32)
        area = np.prod(np.clip(moved[:, 2:] - moved[:, :2], 0, None), 1)
        kept_area = np.prod(np.clip(clipped[:, 2:] - clipped[:, :2], 0, None), 1)
        side = np.minimum(clipped[:, 2] - clipped[:, 0], clipped[:, 3] - clipped[:, 1])
        keep = (kept_area >= self.min_area_ratio * np.maximum(area, 1e-6)) & \
            (side >= self.min_bbox_size)
        if 'gt_bboxes' in results:
            results['gt_bboxes'] = clipped[keep]
        if rots is not None:
            results['gt_rotations'] = rotate_in_plane(rots, angle)[keep]
        weights = results.get('gt_angle_weights')
        if weights is not None:
            # turning the picture mixes the three angles: one known only partly leaves
            # each of them known only that much
            weights = np.asarray(weights, np.float32).reshape(-1, 3)
            if angle:
                weights = np.repeat(weights.min(1, keepdims=True), 3, axis=1)
            results['gt_angle_weights'] = weights[keep]
        results['img_shape'] = results['img'].shape[:2]
        results['affine'] = dict(angle=angle, scale=scale, tx=tx, ty=ty)
        return results

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        h, w = results['img'].shape[:2]
        return self.apply(results, *self._draw(w, h))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(max_rotate_degree={self.max_rotate_degree}, '
                f'max_translate_ratio={self.max_translate_ratio}, '
                f'scaling_ratio_range={self.scaling_ratio_range}, prob={self.prob})')


@TRANSFORMS.register_module()
class PhotoMetricDistortion(BaseTransform):
    """Random brightness, contrast, saturation and hue, each with probability ``prob``.

    Contrast is applied before or after the colour changes, at random. Poses and
    boxes do not change.

    Args:
        brightness_delta: the largest added grey level.
        contrast_range: range of the contrast factor.
        saturation_range: range of the saturation factor.
        hue_delta: the largest hue shift, in OpenCV's hue units (0-179).
        prob: probability of each of the four distortions.
    """

    def __init__(self, brightness_delta: float = 32, contrast_range: Sequence[float] = (0.5, 1.5),
                 saturation_range: Sequence[float] = (0.5, 1.5), hue_delta: float = 18,
                 prob: float = 0.5):
        self.brightness_delta = brightness_delta
        self.contrast_range = tuple(contrast_range)
        self.saturation_range = tuple(saturation_range)
        self.hue_delta = hue_delta
        self.prob = prob

    def transform(self, results: dict) -> dict:
        img = results['img'].astype(np.float32)
        rand = np.random.rand
        if rand() < self.prob:
            img += np.random.uniform(-self.brightness_delta, self.brightness_delta)
        contrast_first = rand() < 0.5
        if contrast_first and rand() < self.prob:
            img *= np.random.uniform(*self.contrast_range)
        do_sat, do_hue = rand() < self.prob, rand() < self.prob
        if do_sat or do_hue:
            hsv = cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8),
                               cv2.COLOR_BGR2HSV).astype(np.float32)
            if do_sat:
                hsv[..., 1] *= np.random.uniform(*self.saturation_range)
            if do_hue:
                hsv[..., 0] = np.mod(hsv[..., 0] + np.random.uniform(-self.hue_delta,
                                                                     self.hue_delta), 180)
            hsv = np.clip(hsv, 0, [179, 255, 255]).astype(np.uint8)
            img = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR).astype(np.float32)
        if not contrast_first and rand() < self.prob:
            img *= np.random.uniform(*self.contrast_range)
        results['img'] = np.clip(img, 0, 255).astype(np.uint8)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(brightness_delta={self.brightness_delta}, '
                f'contrast_range={self.contrast_range}, '
                f'saturation_range={self.saturation_range}, hue_delta={self.hue_delta})')


@TRANSFORMS.register_module()
class FilterHeads(BaseTransform):
    """Drops heads whose box is degenerate or smaller than ``min_size`` pixels.

    Args:
        min_size: smallest kept box side, in pixels.
    """

    def __init__(self, min_size: float = 1.0):
        self.min_size = min_size

    def transform(self, results: dict) -> dict:
        boxes, rots = _labels(results)
        keep = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) >= self.min_size
        if not keep.all():
            print_log(f'{results.get("img_path", "image")}: {int((~keep).sum())} head box(es) '
                      f'smaller than {self.min_size} px dropped', logger='current',
                      level=logging.DEBUG)
        results['gt_bboxes'] = boxes[keep]
        if rots is not None:
            results['gt_rotations'] = rots[keep]
        if results.get('gt_angle_weights') is not None:
            results['gt_angle_weights'] = np.asarray(
                results['gt_angle_weights'], np.float32).reshape(-1, 3)[keep]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(min_size={self.min_size})'


__all__ = ['FilterHeads', 'LetterBox', 'PhotoMetricDistortion', 'RandomAffine',
           'affine_boxes']
