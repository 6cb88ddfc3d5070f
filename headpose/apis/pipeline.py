"""What inference needs of a config and an image: the test pipeline, image loading, batches."""

import os
from typing import Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose

from headpose.utils import register_all_modules

ImageType = Union[str, os.PathLike, np.ndarray]
ImagesType = Union[ImageType, Sequence[ImageType]]


def get_test_pipeline(cfg: Config) -> list:
    """The test pipeline of a config: ``test_dataloader.dataset.pipeline`` (through
    dataset wrappers), else the top-level ``test_pipeline``."""
    loader = cfg.get('test_dataloader') or {}
    ds = loader.get('dataset')
    while isinstance(ds, dict) and 'pipeline' not in ds and isinstance(ds.get('dataset'), dict):
        ds = ds['dataset']
    pipeline = ds.get('pipeline') if isinstance(ds, dict) else None
    if pipeline is None:
        pipeline = cfg.get('test_pipeline')
    if pipeline is None:
        raise ValueError('the config has neither test_dataloader.dataset.pipeline nor '
                         'test_pipeline; inference builds its input from the test pipeline')
    return list(pipeline)


def build_test_pipeline(cfg: Config) -> Compose:
    """Builds the config's test pipeline with headpose's transforms registry."""
    register_all_modules(training=False)
    from headpose.registry import TRANSFORMS
    return Compose([TRANSFORMS.build(t) for t in get_test_pipeline(cfg)])


def pipeline_of(model) -> Compose:
    pipeline = getattr(model, '_headpose_test_pipeline', None)
    if pipeline is None:
        pipeline = build_test_pipeline(model.cfg)
        try:
            model._headpose_test_pipeline = pipeline
        except AttributeError:
            pass
    return pipeline


def load_image(img: ImageType) -> tuple:
    """Returns ``(BGR uint8 image, path or None)`` from a path or an array.

    Raises:
        headpose.datasets.ImageReadError: a path that cannot be read.
        ValueError: an array that is not a uint8 grayscale, BGR or BGRA image.
    """
    from headpose.datasets.transforms.loading import read_image, to_bgr
    if isinstance(img, (str, os.PathLike)):
        return read_image(str(img)), str(img)
    if not isinstance(img, np.ndarray):
        raise TypeError(f'an image must be a file path or a numpy array, got {type(img).__name__}')
    if img.dtype != np.uint8:
        raise ValueError(f'image arrays must be uint8 (OpenCV BGR/BGRA/grayscale), got '
                         f'{img.dtype}; scale float images to 0-255 and cast them')
    return np.ascontiguousarray(to_bgr(img, 'image array')), None


def as_list(img: ImagesType) -> tuple:
    """``(list of images, whether a single image was given)``."""
    if isinstance(img, (str, os.PathLike)) or (isinstance(img, np.ndarray) and img.ndim in (2, 3)):
        return [img], True
    if isinstance(img, np.ndarray) and img.ndim == 4:
        return list(img), False
    if isinstance(img, (list, tuple)):
        return list(img), False
    raise TypeError('img must be a path, an image array, or a list of them; '
                    f'got {type(img).__name__}')


def is_topdown(model) -> bool:
    """Whether ``model`` estimates the pose of given head crops (RankPose-type) rather
    than detecting heads itself (Multitask-Net-type)."""
    from headpose.models.estimators import TopDownPoseEstimator
    return isinstance(model, TopDownPoseEstimator) or bool(getattr(model, 'is_topdown', False))


def run_batches(model, items: list, batch_size: int) -> list:
    """Runs packed pipeline outputs through ``model.test_step`` in chunks."""
    out = []
    for i in range(0, len(items), batch_size):
        chunk = items[i:i + batch_size]
        data = dict(inputs=[d['inputs'] for d in chunk],
                    data_samples=[d['data_samples'] for d in chunk])
        with torch.no_grad():
            out.extend(model.test_step(data))
    return out



__all__ = ['ImageType', 'ImagesType', 'build_test_pipeline', 'get_test_pipeline', 'is_topdown',
           'load_image', 'pipeline_of', 'run_batches']
