"""Photometric transforms: Gaussian noise and Gaussian blur (RankPose's augmentations)."""

from typing import Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from headpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class GaussianNoise(BaseTransform):
    """Adds zero-mean Gaussian noise with probability ``prob``.

    Args:
        prob: probability of applying.
        std_range: range of the noise's standard deviation, in grey levels.
    """

    def __init__(self, prob: float = 0.5, std_range: Sequence[float] = (2.0, 10.0)):
        self.prob = prob
        self.std_range = tuple(std_range)

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        img = results['img']
        std = np.random.uniform(*self.std_range)
        noise = np.random.standard_normal(img.shape).astype(np.float32) * std
        results['img'] = np.clip(np.rint(img.astype(np.float32) + noise), 0, 255).astype(np.uint8)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob}, std_range={self.std_range})'


@TRANSFORMS.register_module()
class GaussianBlur(BaseTransform):
    """Blurs with a Gaussian kernel with probability ``prob``.

    Args:
        prob: probability of applying.
        sigma_range: range of the kernel's standard deviation, in pixels.
    """

    def __init__(self, prob: float = 0.5, sigma_range: Sequence[float] = (0.1, 2.0)):
        self.prob = prob
        self.sigma_range = tuple(sigma_range)

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        sigma = np.random.uniform(*self.sigma_range)
        results['img'] = cv2.GaussianBlur(results['img'], (0, 0), sigmaX=sigma, sigmaY=sigma)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob}, sigma_range={self.sigma_range})'
