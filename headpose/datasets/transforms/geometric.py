"""Geometric transforms that keep the pose label right."""

from typing import Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from headpose.registry import TRANSFORMS
from headpose.structures import flip_rotation


def crop_matrix(center: np.ndarray, size: float, out_size: Tuple[int, int]) -> np.ndarray:
    """The 2x3 affine matrix mapping a square of side ``size`` at ``center`` onto the output.

    In continuous image coordinates (pixel ``i`` covers ``[i, i + 1)``, the coordinates
    of boxes): the square's left edge goes to 0 and its right edge to ``out_w``.
    """
    out_w, out_h = out_size
    sx, sy = out_w / size, out_h / size
    return np.array([[sx, 0.0, out_w / 2.0 - sx * center[0]],
                     [0.0, sy, out_h / 2.0 - sy * center[1]]], dtype=np.float64)


def to_index_matrix(mat: np.ndarray) -> np.ndarray:
    """A continuous-coordinate affine matrix as ``cv2.warpAffine`` wants it, in pixel
    indices (pixel ``i``'s centre is ``i``, at continuous ``i + 0.5``)."""
    out = np.array(mat, dtype=np.float64)
    out[:, 2] += 0.5 * (out[:, 0] + out[:, 1]) - 0.5
    return out


@TRANSFORMS.register_module()
class CropHead(BaseTransform):
    """Crops a square around the head box and resizes it to ``input_size``.

    The square's side is ``padding * max(w, h)`` of the box. In training, RankPose's
    random crop and scale: the side is multiplied by a factor drawn from
    ``scale_range`` and the centre shifted by up to ``shift`` times the side. Cropping
    and resizing move and scale the image only, so the pose label does not change.

    The head box is the crop's one instance, ``gt_bboxes`` (1, 4) (at inference the
    detector's box is passed the same way); without one the whole image is the head.

    The square is snapped to whole pixels (its corner and side rounded: at most half a
    pixel of the original image); when it lies inside the image it is cut out and
    resized (``cv2.resize``, bilinear), else it is warped (``cv2.warpAffine``, bilinear,
    the same mapping) with ``pad_val`` outside the image. Resizing a cut-out costs about
    60% of the warp. Afterwards ``bbox`` is in the crop's pixels (mapped by exactly the
    transformation applied), ``ori_bbox`` is the box in the original image and
    ``crop_bbox`` is the cropped square in the original image.

    Args:
        input_size: output (width, height).
        padding: side of the square relative to the larger box side.
        scale_range: random factor on the side, ``(1, 1)`` for none.
        shift: maximal random shift of the centre, relative to the side.
        pad_val: fill value outside the image.
    """

    def __init__(self, input_size: Sequence[int] = (224, 224), padding: float = 1.25,
                 scale_range: Sequence[float] = (1.0, 1.0), shift: float = 0.0,
                 pad_val: int = 0):
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.padding = padding
        self.scale_range = tuple(scale_range)
        self.shift = shift
        self.pad_val = pad_val

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        boxes = results.get('gt_bboxes')
        if boxes is None:
            boxes = np.array([[0, 0, w, h]], dtype=np.float32)
        boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
        if len(boxes) != 1:
            raise ValueError(f'CropHead: a crop is cut around one head, but '
                             f'{results.get("img_path") or "the image"} has {len(boxes)} '
                             'gt_bboxes; give one box per sample')
        x1, y1, x2, y2 = (float(v) for v in boxes[0])
        cx, cy = (x1 + x2) / 2.0, (y1 + y2) / 2.0
        size = self.padding * max(x2 - x1, y2 - y1)
        if self.scale_range != (1.0, 1.0):
            size *= np.random.uniform(*self.scale_range)
        if self.shift > 0:
            dx, dy = np.random.uniform(-self.shift, self.shift, 2) * size
            cx, cy = cx + dx, cy + dy
        side = max(int(round(size)), 1)
        x0, y0 = int(round(cx - side / 2.0)), int(round(cy - side / 2.0))
        out_w, out_h = self.input_size
        if x0 >= 0 and y0 >= 0 and x0 + side <= w and y0 + side <= h:
            results['img'] = cv2.resize(img[y0:y0 + side, x0:x0 + side], self.input_size,
                                        interpolation=cv2.INTER_LINEAR)
        else:
            mat = crop_matrix((x0 + side / 2.0, y0 + side / 2.0), side, self.input_size)
            results['img'] = cv2.warpAffine(
                img, to_index_matrix(mat), self.input_size, flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT, borderValue=(self.pad_val, ) * 3)
        results['img_shape'] = results['img'].shape[:2]
        results['crop_bbox'] = np.array([x0, y0, x0 + side, y0 + side], dtype=np.float32)
        # From here on the head box is in the crop's pixels (so a later flip mirrors it
        # right); the box in the original image is kept as ``ori_bbox``. The mapping is
        # crop_matrix's: (x - x0) * out_w / side.
        results['ori_bbox'] = np.array([x1, y1, x2, y2], dtype=np.float32)
        sx, sy = out_w / side, out_h / side
        results['gt_bboxes'] = np.array([[(x1 - x0) * sx, (y1 - y0) * sy, (x2 - x0) * sx,
                                          (y2 - y0) * sy]], dtype=np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(input_size={self.input_size}, padding={self.padding}, '
                f'scale_range={self.scale_range}, shift={self.shift})')


@TRANSFORMS.register_module()
class RandomFlip(BaseTransform):
    """Flips the image horizontally with probability ``prob`` and applies the pose flip rule.

    Each head's rotation (``gt_rotations``) becomes ``S R S`` with
    ``S = diag(-1, 1, 1)`` (in angles: yaw -> -yaw, roll -> -roll) and its box
    (``gt_bboxes``) is mirrored; a crop and a scene are the same to it. Partial labels'
    ``gt_angle_weights`` stay as they are: each angle keeps its weight (yaw and roll
    change sign, not meaning).

    Args:
        prob: probability of flipping.
    """

    def __init__(self, prob: float = 0.5):
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'RandomFlip: prob must be in [0, 1], got {prob}')
        self.prob = prob

    def transform(self, results: dict) -> dict:
        flip = np.random.rand() < self.prob
        results['flip'] = bool(flip)
        if not flip:
            return results
        img = results['img']
        w = img.shape[1]
        results['img'] = np.ascontiguousarray(img[:, ::-1])
        if results.get('gt_rotations') is not None:
            results['gt_rotations'] = flip_rotation(
                np.asarray(results['gt_rotations'], dtype=np.float64))
        if results.get('gt_bboxes') is not None:
            box = np.asarray(results['gt_bboxes'], dtype=np.float32).copy()
            box[..., [0, 2]] = w - box[..., [2, 0]]
            results['gt_bboxes'] = box
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'
