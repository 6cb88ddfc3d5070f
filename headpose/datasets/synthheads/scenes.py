"""SynthHeads scenes: several rendered heads per image, composited by depth, for detection."""

import math
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from headpose.datasets.base import BaseHeadPoseDataset
from headpose.registry import DATASETS
from headpose.structures import euler_to_matrix

from .renderer import (
    mask_to_bbox,
    random_background,
    random_light,
    render_head_layer,
    sample_identity,
)

#: Room around a head in its render window, as multiples of the head's height.
_WINDOW = 1.8
#: Where the head centre sits in its window, as a fraction of the window from the top
#: (below it, room for the neck).
_CENTER_Y = 0.38


def render_scene(rng: np.random.Generator, img_size: Tuple[int, int] = (192, 144),
                 num_heads: Sequence[int] = (1, 4), head_scale: Sequence[float] = (0.2, 0.5),
                 yaw_range: Sequence[float] = (-180, 180),
                 pitch_range: Sequence[float] = (-40, 40),
                 roll_range: Sequence[float] = (-30, 30), max_overlap: float = 0.3,
                 blur_prob: float = 0.2, noise_prob: float = 0.3) -> dict:
    """Renders one scene of several heads on a random background.

    Heads get a random identity, a pose drawn uniformly from the ranges, a height
    drawn from ``head_scale`` (fraction of the image height) and a random position with
    its centre inside the image, so heads at the border are cut. A head is placed only
    if its box overlaps every earlier box by an IoU of at most ``max_overlap``; larger
    heads are nearer to the camera, and the heads are composited pixel by pixel by
    depth (z-buffer over the layers' ``depth``), so they partly occlude each other.

    Args:
        rng: source of randomness (the scene is a pure function of its state).
        img_size: ``(width, height)`` of the image.
        num_heads: ``(min, max)`` number of heads (fewer if they do not fit).
        head_scale: ``(min, max)`` head height as a fraction of the image height.
        yaw_range: yaw range in degrees (full range: ``(-180, 180)``).
        pitch_range: pitch range in degrees.
        roll_range: roll range in degrees.
        max_overlap: the largest IoU between two heads' boxes.
        blur_prob: probability of a Gaussian blur of the whole image.
        noise_prob: probability of Gaussian pixel noise.

    Returns:
        A dict with ``img`` (H, W, 3) uint8 BGR; per head ``bboxes`` (K, 4) float32
        xyxy boxes of the whole head clipped to the image (neck excluded), ``poses`` (K, 3)
        (yaw, pitch, roll) in degrees, ``rotations`` (K, 3, 3) and ``visible`` (K, ) the
        fraction of the head's pixels that are seen (inside the image, not occluded).
    """
    w, h = int(img_size[0]), int(img_size[1])
    img = random_background(rng, h, w)
    zbuf = np.full((h, w), -np.inf, np.float32)
    owner = np.full((h, w), -1, np.int32)
    light, ambient = random_light(rng)
    n = int(rng.integers(num_heads[0], num_heads[1] + 1))
    heads = []
    for _ in range(n):
        for _try in range(20):
            size = float(rng.uniform(*head_scale)) * h
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            guess = np.array([cx - 0.4 * size, cy - 0.5 * size, cx + 0.4 * size,
                              cy + 0.5 * size])
            if all(_iou(guess, other['guess']) <= max_overlap for other in heads):
                break
        else:
            continue
        pose = np.array([rng.uniform(*yaw_range), rng.uniform(*pitch_range),
                         rng.uniform(*roll_range)])
        heads.append(dict(guess=guess, size=size, center=(cx, cy), pose=pose,
                          identity=sample_identity(rng)))
    # Nearer (larger) heads are drawn with a larger depth offset: ordered by size.
    tint = rng.uniform(0.9, 1.1, 3).astype(np.float32)
    boxes, poses, head_pixels = [], [], []
    for k, head in enumerate(heads):
        size = head['size']
        win = int(math.ceil(size * _WINDOW))
        x0 = int(round(head['center'][0] - win / 2))
        y0 = int(round(head['center'][1] - _CENTER_Y * win))
        rot = euler_to_matrix(head['pose'])
        layer = render_head_layer(head['identity'], rot, win, light, scale=size / win,
                                  offset=(0.0, (_CENTER_Y - 0.5) * win), ambient=ambient)
        # Window -> image, clipped.
        ix0, iy0, ix1, iy1 = max(x0, 0), max(y0, 0), min(x0 + win, w), min(y0 + win, h)
        box = mask_to_bbox(layer.head_mask) + np.array([x0, y0, x0, y0], np.float32)
        box = np.clip(box, [0, 0, 0, 0], [w, h, w, h]).astype(np.float32)
        head_pixels.append(int(layer.head_mask.sum()))
        boxes.append(box)
        poses.append(head['pose'])
        if ix1 <= ix0 or iy1 <= iy0:
            continue
        sub = (slice(iy0 - y0, iy1 - y0), slice(ix0 - x0, ix1 - x0))
        depth = layer.depth[sub] + np.float32(size * 4.0)  # larger heads are nearer
        front = (layer.alpha[sub] > 0) & (depth > zbuf[iy0:iy1, ix0:ix1])
        region = img[iy0:iy1, ix0:ix1]
        region[front] = layer.bgr[sub][front] * tint
        zbuf[iy0:iy1, ix0:ix1][front] = depth[front]
        own = owner[iy0:iy1, ix0:ix1]
        own[front] = np.where(layer.head_mask[sub][front], k, -2)
    if rng.random() < blur_prob:
        img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.3, 1.0)))
    if rng.random() < noise_prob:
        img = img + rng.standard_normal(img.shape, dtype=np.float32) * np.float32(
            rng.uniform(0.005, 0.03))
    visible = np.array([(owner == k).sum() / max(px, 1) for k, px in enumerate(head_pixels)],
                       dtype=np.float32)
    poses = np.asarray(poses, np.float64).reshape(-1, 3)
    return dict(img=np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8),
                bboxes=np.asarray(boxes, np.float32).reshape(-1, 4), poses=poses,
                rotations=euler_to_matrix(poses).reshape(-1, 3, 3), visible=visible)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@DATASETS.register_module()
class SynthHeadsScenesDataset(BaseHeadPoseDataset):
    """Multi-head scenes rendered on the fly; scene ``i`` is a pure function of (seed, i).

    Each sample is an image with several heads of different sizes, positions and
    full-range poses (see :func:`render_scene`), with the keys the detection pipeline
    uses: ``img``, ``gt_bboxes`` (K, 4) and ``gt_rotations`` (K, 3, 3).
    ``tools/dataset_converters/make_synthheads_scenes.py`` writes the same scenes as
    images and a COCO-style JSON, readable by ``CocoHeadPoseDataset``.

    Args:
        num_samples: number of scenes.
        seed: the seed of the split; use different seeds for training and testing.
        img_size: ``(width, height)`` of the images.
        num_heads: ``(min, max)`` heads per scene.
        head_scale: ``(min, max)`` head height as a fraction of the image height.
        yaw_range: yaw range in degrees.
        pitch_range: pitch range in degrees.
        roll_range: roll range in degrees.
        max_overlap: the largest IoU between two heads' boxes.
        cache: keep rendered scenes in memory (per process) after their first use.
        **kwargs: the arguments of :class:`BaseHeadPoseDataset`; ``full_range``
            defaults to True.
    """

    def __init__(self, num_samples: int = 1000, seed: int = 0,
                 img_size: Sequence[int] = (192, 144), num_heads: Sequence[int] = (1, 4),
                 head_scale: Sequence[float] = (0.2, 0.5),
                 yaw_range: Sequence[float] = (-180, 180),
                 pitch_range: Sequence[float] = (-40, 40),
                 roll_range: Sequence[float] = (-30, 30), max_overlap: float = 0.3,
                 cache: bool = False, **kwargs):
        if num_samples < 1:
            raise ValueError(f'SynthHeadsScenesDataset: num_samples must be >= 1, '
                             f'got {num_samples}')
        kwargs.setdefault('full_range', True)
        self.num_samples = num_samples
        self.seed = seed
        self.scene_cfg = dict(img_size=tuple(img_size), num_heads=tuple(num_heads),
                              head_scale=tuple(head_scale), yaw_range=tuple(yaw_range),
                              pitch_range=tuple(pitch_range), roll_range=tuple(roll_range),
                              max_overlap=max_overlap)
        self.cache = cache
        self._scenes = {}
        super().__init__(**kwargs)

    def load_data_list(self) -> list:
        return [dict(img_path=f'synthheads_scenes/seed{self.seed}/{i:06d}.png', scene=i)
                for i in range(self.num_samples)]

    def render(self, idx: int) -> dict:
        """Renders scene ``idx`` (see :func:`render_scene`)."""
        if self.cache and idx in self._scenes:
            return self._scenes[idx]
        scene = render_scene(np.random.default_rng([self.seed, 3, idx]), **self.scene_cfg)
        if self.cache:
            self._scenes[idx] = scene
        return scene

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        scene = self.render(info['scene'])
        info['img'] = scene['img'].copy()
        info['gt_bboxes'] = scene['bboxes'].copy()
        info['gt_rotations'] = scene['rotations'].copy()
        info['height'], info['width'] = scene['img'].shape[:2]
        return info


def scene_to_coco(scene: dict, image_id: int, first_ann_id: int, file_name: str,
                  extra: Optional[dict] = None) -> Tuple[dict, list]:
    """The COCO-style ``images[]`` entry and ``annotations[]`` of one rendered scene.

    ``euler_angles`` are [pitch, yaw, roll] in degrees (full-range yaw), ``bbox`` is
    [x, y, w, h] in pixels, as in DirectMHP's CMU Panoptic layout.
    """
    h, w = scene['img'].shape[:2]
    image = dict(file_name=file_name, height=h, width=w, id=image_id, **(extra or {}))
    anns = []
    for k, (box, pose) in enumerate(zip(scene['bboxes'], scene['poses'])):
        x1, y1, x2, y2 = (float(v) for v in box)
        yaw, pitch, roll = (float(v) for v in pose)
        anns.append(dict(id=first_ann_id + k, image_id=image_id, category_id=1, iscrowd=0,
                         bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1),
                         euler_angles=[pitch, yaw, roll],
                         visible=float(scene['visible'][k])))
    return image, anns


__all__ = ['SynthHeadsScenesDataset', 'render_scene', 'scene_to_coco']
