"""Per-face timing of a head pose model on one thread (PyTorch or ONNX Runtime).

Used by ``tools/deployment/package_model.py`` (the model card's speed) and
``tools/analysis_tools/benchmark_packaged.py``. A "face" is what
:func:`~headpose.apis.inference_model` does for one detected box: the crop, the test
pipeline, the forward pass and the decoding; the detector is not included.
"""

import os
import platform
import statistics
import tempfile
import time
from contextlib import contextmanager
from typing import Callable, Dict, Optional

import numpy as np
import torch


@contextmanager
def torch_threads(n: int):
    """Sets ``torch.set_num_threads(n)`` for the time of the ``with`` block."""
    saved = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def median_ms(step: Callable[[], object], iters: int, warmup: int = 3) -> float:
    """The median wall time of ``step()`` in milliseconds over ``iters`` calls, after
    ``warmup`` calls that are not timed."""
    if iters < 1:
        raise ValueError(f'iters must be at least 1, got {iters}')
    for _ in range(warmup):
        step()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def demo_face_image(size=(480, 640), seed: int = 0) -> tuple:
    """A seeded ``(H, W, 3)`` BGR image and one box in its middle (a third of its
    height): the input of one timed face."""
    h, w = size
    image = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    side = h / 3
    box = np.array([[w / 2 - side / 2, h / 2 - side / 2, w / 2 + side / 2,
                     h / 2 + side / 2, 1.0]], dtype=np.float32)
    return image, box


def per_face_ms(model, iters: int = 50, warmup: int = 3) -> float:
    """Median milliseconds to estimate one face with ``model`` (a PyTorch model or an
    :class:`~headpose.apis.OnnxHeadPoseModel`) on the current thread settings."""
    from headpose.apis import inference_model
    image, box = demo_face_image()
    return median_ms(lambda: inference_model(model, image, bboxes=box), iters, warmup)


def measure_per_face(model, iters: int = 50, onnx: bool = True,
                     threads: int = 1) -> Dict[str, Optional[float]]:
    """Per-face milliseconds of a top-down PyTorch model on ``threads`` threads, and of
    its ONNX Runtime export (made in a temporary folder) on as many.

    Returns:
        ``{'pytorch_ms', 'onnxruntime_ms' (None if not measured), 'onnx_mb', 'cpu',
        'threads', 'iters'}``.
    """
    out = dict(pytorch_ms=None, onnxruntime_ms=None, onnx_mb=None, cpu=cpu_name(),
               threads=threads, iters=iters)
    with torch_threads(threads), torch.no_grad():
        out['pytorch_ms'] = per_face_ms(model, iters)
    if onnx:
        from headpose.apis import OnnxHeadPoseModel, export_onnx
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'model.onnx')
            export_onnx(model, path)
            out['onnx_mb'] = os.path.getsize(path) / 2**20
            ort_model = OnnxHeadPoseModel(path, model.cfg, num_threads=threads)
            out['onnxruntime_ms'] = per_face_ms(ort_model, iters)
    return out


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), else the platform's."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


__all__ = ['cpu_name', 'demo_face_image', 'measure_per_face', 'median_ms', 'per_face_ms',
           'torch_threads']
