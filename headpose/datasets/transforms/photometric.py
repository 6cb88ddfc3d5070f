"""Photometric transforms: Gaussian noise and blur (RankPose's augmentations), greyscale, JPEG."""

from typing import Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from headpose.registry import TRANSFORMS

_NOISE_TABLE_SIZE = 1 << 22
_noise_table = None


def _standard_normal_table() -> np.ndarray:
    """4M standard normal samples, made once per process (16 MB), fixed seed."""
    global _noise_table
    if _noise_table is None:
        _noise_table = np.random.default_rng(20201107).standard_normal(
            _NOISE_TABLE_SIZE, dtype=np.float32)
    return _noise_table


@TRANSFORMS.register_module()
class GaussianNoise(BaseTransform):
    """Adds zero-mean Gaussian noise with probability ``prob``.

    The noise is a window, at a random offset, of a fixed table of 4M standard normal
    samples, scaled by the drawn deviation: drawing fresh normals for a 224 x 224 image
    cost 10 times more than the rest of the pipeline's arithmetic (see
    ``docs/benchmarks.md``). The offset and deviation come from numpy's global
    generator, so runs stay reproducible and resumable. On a uint8 image the sum is
    one OpenCV pass, rounded and saturated to [0, 255] like
    ``clip(rint(img + std * noise))``.

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
        table = _standard_normal_table()
        n = img.size
        if n > table.size:
            noise = np.random.standard_normal(img.shape).astype(np.float32)
        else:
            start = np.random.randint(0, table.size - n + 1)
            noise = table[start:start + n].reshape(img.shape)
        if img.dtype == np.uint8 and img.ndim <= 3 and (img.ndim < 3 or img.shape[2] <= 4):
            results['img'] = cv2.addWeighted(img, 1.0, noise, float(std), 0.0,
                                             dtype=cv2.CV_8U)
            return results
        out = img.astype(np.float32)
        out += noise * np.float32(std)
        np.rint(out, out=out)
        results['img'] = np.clip(out, 0, 255).astype(np.uint8)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob}, std_range={self.std_range})'


@TRANSFORMS.register_module()
class GaussianBlur(BaseTransform):
    """Blurs with a Gaussian kernel with probability ``prob``.

    The kernel is OpenCV's for the drawn sigma (``getGaussianKernel``, of the size
    ``round(6 * sigma + 1) | 1`` that ``cv2.GaussianBlur`` chooses for uint8 images),
    applied as a separable filter (``sepFilter2D``, borders reflected like
    ``GaussianBlur``): at sigma 2 this is 3 times faster than ``cv2.GaussianBlur``'s
    bit-exact uint8 path, and differs from it by at most one grey level (rounding).

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
        sigma = float(np.random.uniform(*self.sigma_range))
        kernel = cv2.getGaussianKernel(int(round(6 * sigma + 1)) | 1, sigma)
        results['img'] = cv2.sepFilter2D(results['img'], -1, kernel, kernel,
                                         borderType=cv2.BORDER_REFLECT_101)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob}, sigma_range={self.sigma_range})'


@TRANSFORMS.register_module()
class RandomGrayscale(BaseTransform):
    """Turns the image into greyscale (three equal BGR channels) with probability ``prob``.

    Some photographs are black and white; a model trained on rendered colour images
    should not read the pose from colour alone.

    Args:
        prob: probability of applying.
    """

    def __init__(self, prob: float = 0.1):
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            results['img'] = cv2.cvtColor(cv2.cvtColor(results['img'], cv2.COLOR_BGR2GRAY),
                                          cv2.COLOR_GRAY2BGR)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'


@TRANSFORMS.register_module()
class JPEGCompression(BaseTransform):
    """Encodes and decodes the image as a JPEG of random quality with probability ``prob``.

    Args:
        prob: probability of applying.
        quality_range: range of the JPEG quality (1-100), drawn uniformly.
    """

    def __init__(self, prob: float = 0.5, quality_range: Sequence[int] = (20, 90)):
        if not 1 <= quality_range[0] <= quality_range[1] <= 100:
            raise ValueError('JPEGCompression: quality_range must satisfy 1 <= lo <= hi <= '
                             f'100, got {quality_range!r}')
        self.prob = prob
        self.quality_range = tuple(int(q) for q in quality_range)

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        quality = int(np.random.randint(self.quality_range[0], self.quality_range[1] + 1))
        ok, buf = cv2.imencode('.jpg', results['img'], [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise RuntimeError(f'JPEGCompression: cv2.imencode failed at quality {quality}')
        results['img'] = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob}, quality_range={self.quality_range})'
