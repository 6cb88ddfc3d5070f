"""HeadPoseInferencer: one object from a config name and weights to poses, drawings and files.

It puts together what the other modules of :mod:`headpose.apis` do one by one: finding a
config by its name (:func:`find_config`), building the model (:func:`init_model`) and the
head detector (:func:`build_detector`), reading images, folders and videos, estimating
(:func:`inference_model`), smoothing video frames (:class:`RotationSmoother`), drawing
(:class:`~headpose.visualization.HeadPoseVisualizer`) and writing ``results.json``,
``results.csv`` and the drawn images or video. ``demo/image_demo.py`` and
``demo/video_demo.py`` are command lines over it.
"""

import csv
import glob
import json
import os
import os.path as osp
import warnings
from difflib import get_close_matches
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Union

import cv2
import numpy as np
from mmengine.config import Config

from .detectors import build_detector
from .inference import init_model, result_to_dicts
from .pipeline import is_topdown, load_image
from .smoothing import RotationSmoother
from .topdown import inference_model

#: File name endings read as images in folders (any single file that is not a video is
#: read as an image).
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff', '.pgm', '.ppm')
#: File name endings read as videos, frame by frame.
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg', '.mpeg', '.wmv')
#: CSV columns of images (``results.csv``): one row a head, a row with only ``file`` for
#: an image with no head.
IMAGE_CSV_HEADER = ['file', 'x1', 'y1', 'x2', 'y2', 'score', 'yaw', 'pitch', 'roll']
#: CSV columns of video frames: one row a head, a row with only ``frame`` and ``time_s``
#: for a frame with no head.
VIDEO_CSV_HEADER = ['frame', 'time_s', 'track', 'x1', 'y1', 'x2', 'y2', 'score', 'yaw',
                    'pitch', 'roll']

#: The folder of the ``headpose`` package (``headpose/.mim`` is in it when installed).
PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))

#: Head crops of a top-down model go through it at least this many at a time (all the
#: heads of a frame at once, as ``inference_topdown`` does by default).
MIN_CROP_BATCH = 32

ConfigType = Union[str, os.PathLike, Config]
InputsType = Union[str, os.PathLike, int, np.ndarray, Sequence[Union[str, os.PathLike,
                                                                     np.ndarray]]]


# --- configs by name ----------------------------------------------------------------------

def config_roots() -> List[str]:
    """The folders holding ``configs/`` (and ``model-index.yml``) that names are looked up
    in: the installed package's ``headpose/.mim`` (``pip install .``; links with ``-e``),
    then the repository the package is imported from."""
    roots, seen = [], set()
    for root in (osp.join(PACKAGE_DIR, '.mim'), osp.dirname(PACKAGE_DIR)):
        real = osp.realpath(osp.join(root, 'configs'))
        if osp.isdir(real) and real not in seen:
            seen.add(real)
            roots.append(root)
    return roots


def _model_index(root: str) -> Dict[str, str]:
    """``{model name: config path}`` of ``root/model-index.yml`` and its metafiles."""
    import yaml
    index = osp.join(root, 'model-index.yml')
    if not osp.isfile(index):
        return {}
    with open(index, encoding='utf-8') as f:
        imports = (yaml.safe_load(f) or {}).get('Import') or []
    models = {}
    for metafile in imports:
        path = osp.join(root, metafile)
        if not osp.isfile(path):
            raise FileNotFoundError(f'{index} imports {metafile}, which is not at {path}')
        with open(path, encoding='utf-8') as f:
            for model in (yaml.safe_load(f) or {}).get('Models') or []:
                if model.get('Name') and model.get('Config'):
                    models[model['Name']] = osp.join(root, model['Config'])
    return models


def find_config(name: Union[str, os.PathLike]) -> str:
    """The config file of a path, a config name or a model name of the model index.

    Looked up in this order: ``name`` as a file path; a path relative to ``configs/``
    (``'rankpose/r18_arccos_synthheads.py'``); a model ``Name`` of ``model-index.yml``'s
    metafiles; a config file stem (``'r18_arccos_synthheads'``, also
    ``'rankpose/r18_arccos_synthheads'``). ``configs/`` and ``model-index.yml`` are
    searched in each of :func:`config_roots`.

    Raises:
        FileNotFoundError: nothing found; the message names ``name``, where it was looked
            for and the closest known names.
    """
    name = os.fspath(name)
    if osp.isfile(name):
        return name
    roots = config_roots()
    for root in roots:
        path = osp.join(root, 'configs', name)
        if name.endswith('.py') and osp.isfile(path):
            return path
    if name.endswith('.py') or osp.isabs(name):
        places = ', '.join(osp.join(r, 'configs') for r in roots)
        raise FileNotFoundError(f'config file not found: {name} (nor under {places})')
    known: Dict[str, str] = {}
    for root in reversed(roots):  # the first root wins
        configs = osp.join(root, 'configs')
        for path in glob.glob(osp.join(configs, '**', '*.py'), recursive=True):
            rel = osp.relpath(path, configs)
            if rel.split(os.sep)[0] == '_base_':
                continue
            known[osp.splitext(osp.basename(path))[0]] = path
            known[osp.splitext(rel)[0].replace(os.sep, '/')] = path
        known.update(_model_index(root))
    if name in known:
        return known[name]
    close = get_close_matches(name, sorted(known), n=3, cutoff=0.5)
    places = ', '.join(roots) or '(no configs/ folder found next to the package)'
    raise FileNotFoundError(
        f'unknown config {name!r}: not a file, not a config under configs/ and not a '
        f'model name of model-index.yml in {places}'
        + (f'; did you mean {", ".join(repr(c) for c in close)}?' if close else ''))


# --- inputs ---------------------------------------------------------------------------------

def list_images(path: str, recursive: bool = False) -> List[str]:
    """The image files of ``path`` (itself if a file), sorted.

    Raises:
        FileNotFoundError: ``path`` does not exist.
    """
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'input not found: {path}')
    found = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        found += [osp.join(root, f) for f in sorted(files)
                  if f.lower().endswith(IMAGE_EXTENSIONS)]
        if not recursive:
            break
    return found


def is_video(path) -> bool:
    """Whether ``path`` names a video file (by its ending, see ``VIDEO_EXTENSIONS``)."""
    return isinstance(path, (str, os.PathLike)) and not osp.isdir(path) and \
        os.fspath(path).lower().endswith(VIDEO_EXTENSIONS)


def open_video(source: Union[str, os.PathLike, int]) -> tuple:
    """Opens a video file or a webcam (an ``int`` index); returns ``(capture, name, is_webcam)``.

    Raises:
        IOError: with a message that says which of the two failed and why it may have.
    """
    if isinstance(source, int):
        cap = cv2.VideoCapture(source)
        if not cap.isOpened():
            cap.release()
            raise IOError(f'cannot open webcam {source}: no camera at that index, or no '
                          'permission to use it (on Linux, check /dev/video*)')
        return cap, f'webcam{source}', True
    source = os.fspath(source)
    if not osp.isfile(source):
        raise IOError(f'video file not found: {source}')
    cap = cv2.VideoCapture(source)
    if not cap.isOpened():
        cap.release()
        raise IOError(f'cannot open video {source}: not a video, or a codec OpenCV lacks')
    return cap, osp.splitext(osp.basename(source))[0], False


def model_full_range(model) -> bool:
    """Whether the model reports angles in the full-range Euler branch: its codec says."""
    codec = getattr(model, 'pose_codec', None)
    if codec is None:
        raise ValueError(f'{type(model).__name__} has no pose_codec: cannot tell the Euler '
                         'range of its angles')
    return bool(codec.full_range)


class _Images:
    """Images from a path, a folder, a list or arrays: ``(image, record, detector key,
    name)``; the name (relative to the input folder, or to the list's common folder) is
    what the drawing is saved as."""

    kind = 'images'
    fps = None

    def __init__(self, inputs, recursive: bool):
        if isinstance(inputs, (str, os.PathLike)):
            path = os.fspath(inputs)
            self.entries = list_images(path, recursive)
            if not self.entries:
                raise FileNotFoundError(f'no image files ({", ".join(IMAGE_EXTENSIONS)}) in '
                                        f'{path}')
            base = path if osp.isdir(path) else osp.dirname(path)
        elif isinstance(inputs, np.ndarray):
            if inputs.ndim not in (2, 3, 4):
                raise ValueError('an image array must be (H, W), (H, W, C) or a stack '
                                 f'(N, H, W, C); got shape {inputs.shape}')
            self.entries = [inputs] if inputs.ndim in (2, 3) else list(inputs)
            base = ''
        elif isinstance(inputs, (list, tuple)):
            self.entries = list(inputs)
            paths = []
            for k, item in enumerate(self.entries):
                if isinstance(item, (str, os.PathLike)):
                    if is_video(item):
                        raise ValueError(f'input {k}: a video ({os.fspath(item)}) is read '
                                         'alone, not in a list')
                    paths.append(osp.abspath(os.fspath(item)))
                elif not isinstance(item, np.ndarray):
                    raise TypeError(f'input {k}: an image must be a file path or a numpy '
                                    f'array, got {type(item).__name__}')
            base = osp.commonpath([osp.dirname(p) for p in paths]) if paths else ''
        else:
            raise TypeError('inputs must be an image path, a folder, a video path, a webcam '
                            f'index, an image array or a list of them; got '
                            f'{type(inputs).__name__}')
        self.base = base
        self.listed = isinstance(inputs, (list, tuple))
        self.name = 'images'
        self.total = len(self.entries)

    def items(self) -> Iterator[tuple]:
        for k, entry in enumerate(self.entries):
            if isinstance(entry, np.ndarray):
                yield entry, dict(file=None, index=k), None, f'{k:05d}'
            else:
                path = os.fspath(entry)
                rel = osp.relpath(osp.abspath(path), osp.abspath(self.base)) if self.base \
                    else osp.basename(path)
                yield path, dict(file=path if self.listed else rel), path, rel

    def close(self) -> None:
        pass


class _Video:
    """The frames of a video file or webcam, read one at a time."""

    kind = 'video'

    def __init__(self, source, max_frames: Optional[int]):
        self.cap, self.name, webcam = open_video(source)
        self.file = self.name if webcam else osp.basename(os.fspath(source))
        fps = self.cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps and fps > 0 else 25.0
        total = 0 if webcam else int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if max_frames:
            total = min(total, max_frames) if total > 0 else max_frames
        self.total = total or None
        self.max_frames = max_frames

    def items(self) -> Iterator[tuple]:
        k = 0
        while self.max_frames is None or k < self.max_frames:
            ok, frame = self.cap.read()
            if not ok or frame is None:
                break
            record = dict(file=self.file, frame=k, time_s=round(k / self.fps, 4))
            yield frame, record, str(k), self.name
            k += 1

    def close(self) -> None:
        self.cap.release()


# --- outputs --------------------------------------------------------------------------------

def csv_rows(record: dict) -> List[list]:
    """The CSV rows of one prediction record: ``VIDEO_CSV_HEADER`` columns for a video
    frame (a record with ``frame``), ``IMAGE_CSV_HEADER`` columns for an image."""
    if 'frame' in record:
        first = [record['frame'], record['time_s']]
        rows = [first + [h.get('track', k)] for k, h in enumerate(record['heads'])]
        width = len(VIDEO_CSV_HEADER)
    else:
        name = record['file'] if record['file'] is not None else record.get('index')
        rows = [[name] for _ in record['heads']]
        first = [name]
        width = len(IMAGE_CSV_HEADER)
    for row, head in zip(rows, record['heads']):
        row += head['bbox'] + [head['score'], head['yaw'], head['pitch'], head['roll']]
    return rows or [first + [''] * (width - len(first))]


class VideoSink:
    """Writes drawn frames to a video file (``.mp4`` or ``.avi``), opened at the first frame.

    Args:
        path: the video file; its folder must exist.
        fps: frames per second.
    """

    def __init__(self, path: str, fps: float):
        self.path, self.fps, self.writer = path, fps, None

    def write(self, frame: np.ndarray) -> None:
        """Appends one BGR frame (the first one sets the video's size)."""
        if self.writer is None:
            h, w = frame.shape[:2]
            fourcc = cv2.VideoWriter_fourcc(*('XVID' if self.path.endswith('.avi') else 'mp4v'))
            self.writer = cv2.VideoWriter(self.path, fourcc, self.fps, (w, h))
            if not self.writer.isOpened():
                raise IOError(f'cannot write the video {self.path} (unknown extension or '
                              'codec; use .mp4 or .avi)')
        self.writer.write(frame)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.release()


class InferenceStream:
    """What :meth:`HeadPoseInferencer.stream` returns: an iterator over the inputs' results,
    one ``dict(prediction=..., visualization=..., error=..., name=...)`` an image or
    frame, with
    the source's ``kind`` (``'images'`` or ``'video'``), ``name``, ``fps`` (videos) and
    ``total`` (number of images or frames, ``None`` when unknown)."""

    def __init__(self, source, generator: Iterator[dict]):
        self.source = source
        self.kind, self.name, self.fps, self.total = (source.kind, source.name, source.fps,
                                                      source.total)
        self._generator = generator

    def __iter__(self) -> Iterator[dict]:
        return self._generator

    def __next__(self) -> dict:
        return next(self._generator)

    def close(self) -> None:
        """Stops reading and releases the video."""
        self._generator.close()
        self.source.close()


# The demos' smallest score of a Multitask-Net's heads on whole images.
DEMO_SCORE_THR = 0.3


def demo_score_thr(score_thr: Optional[float], inferencer) -> Optional[float]:
    """The demos' ``--score-thr``: as given, or unset, a detector's own threshold
    (BlazeFace 0.5, Haar 0, a Multitask-Net detector 0.3) and :data:`DEMO_SCORE_THR` for a
    Multitask-Net on whole images (its test_cfg keeps heads from 0.05, for the mAP)."""
    if score_thr is not None or inferencer.detector is not None:
        return score_thr
    return DEMO_SCORE_THR


class _Threshold:
    """Sets a detector's ``score_thr`` for the time of one call (if it has one)."""

    def __init__(self, detector, score_thr: Optional[float]):
        self.detector = detector
        self.score_thr = score_thr if hasattr(detector, 'score_thr') else None

    def __enter__(self):
        if self.score_thr is not None:
            self.saved = self.detector.score_thr
            self.detector.score_thr = self.score_thr

    def __exit__(self, *exc):
        if self.score_thr is not None:
            self.detector.score_thr = self.saved


# --- packaged models ------------------------------------------------------------------------

#: ``HeadPoseInferencer``'s default ``detector``: :data:`PACKAGED_DETECTOR` for a packaged
#: model, none (the whole image is the head) for a config.
DEFAULT_DETECTOR = 'default'
#: The detector of a packaged model unless told otherwise: BlazeFace, or the Haar cascades
#: (with a warning) where BlazeFace is not installed.
PACKAGED_DETECTOR = 'auto'


def resolve_packaged(model: Union[None, str, os.PathLike]) -> Optional[tuple]:
    """``(config, model.pth)`` of a packaged model named by ``model``, or ``None`` when
    ``model`` names a config instead.

    ``None`` is the default packaged model (:data:`headpose.model_zoo.DEFAULT_MODEL`); a
    name of a packaged model present, its folder or its ``model.pth`` is that model. A
    ``.pth`` file that is a plain checkpoint, or the default model's name when it is not
    built, is an error that says what to give or run instead.

    Raises:
        headpose.model_zoo.PackagedModelNotFoundError: the default model is not built.
        ValueError: a ``.pth`` file that is no packaged model.
    """
    from headpose.model_zoo import (
        DEFAULT_MODEL,
        find_packaged_model,
        load_packaged_model,
    )
    if model is None:
        config, path, _ = load_packaged_model(None)
        return config, path
    name = os.fspath(model)
    path = find_packaged_model(name)
    if path is None and osp.isfile(name) and name.endswith('.pth'):
        raise ValueError(f'{name} is a checkpoint, not a packaged model (it has no config '
                         'inside): give its config as the model and this file as weights')
    if path is None and name == DEFAULT_MODEL:
        load_packaged_model(name)  # raises: not built, and how to build it
    if path is None:
        return None
    config, path, _ = load_packaged_model(path)
    return config, path


# --- the inferencer -------------------------------------------------------------------------

class HeadPoseInferencer:
    """Estimates head poses in images, folders and videos from a config name and weights.

    Example::

        inferencer = HeadPoseInferencer()  # the packaged model, faces found by BlazeFace
        inferencer = HeadPoseInferencer('r18_arccos_synthheads', weights='epoch_6.pth',
                                        detector='haar')
        result = inferencer('photos/', out_dir='outputs/photos')
        for image in result['predictions']:
            for head in image['heads']:
                print(image['file'], head['bbox'], head['yaw'], head['pitch'], head['roll'])

    A top-down model (RankPose) estimates the heads that ``detector`` finds, or the whole
    image as one head without a detector; a model that finds heads itself
    (Multitask-Net) takes no detector.

    Args:
        model: ``None`` (the default): the model packaged with headpose
            (:data:`headpose.model_zoo.DEFAULT_MODEL`, built by
            ``tools/deployment/package_model.py``); the name of a packaged model, its
            folder or its ``model.pth`` (weights and config in one file); a config file
            path, a config name (its file stem, e.g. ``'r18_arccos_synthheads'``), a model
            name of ``model-index.yml``, or a :class:`mmengine.Config` (see
            :func:`find_config`).
        weights: a checkpoint (``.pth``) or an exported ``.onnx`` model; ``None`` keeps
            random weights (with a warning), or a packaged model's own.
        device: ``'cpu'``, ``'cuda'``, ``'cuda:0'``, ...
        detector: a head detector for a top-down model: anything
            :func:`~headpose.apis.build_detector` takes (``'blazeface'``, ``'haar'``,
            ``'auto'``, ``'file:PATH'``, ``'CONFIG.py:CKPT'``, a registry dict, a callable
            ``f(img, key) -> (K, 5)``), or ``None``: the whole image is the head. The
            default, ``'default'``, is ``'auto'`` (BlazeFace, else Haar) for a packaged
            model and ``None`` for a config.
        cfg_options: overrides merged into the config.
        fuse_conv_bn: fold BatchNorm into the convolutions (see :func:`init_model`).
        channels_last: NHWC weights and inputs (see :func:`init_model`).

    Raises:
        FileNotFoundError: no config of that name, or a missing weights file;
            :class:`headpose.model_zoo.PackagedModelNotFoundError` (a subclass) when the
            packaged model is not built, naming the command that builds it.
        headpose.apis.CheckpointMismatchError: the weights do not fit the config.
        ValueError: a detector for a model that finds heads itself, or an unknown one.
    """

    def __init__(self, model: Optional[ConfigType] = None, weights: Optional[str] = None,
                 device: str = 'cpu',
                 detector: Union[None, str, dict, Callable] = DEFAULT_DETECTOR,
                 cfg_options: Optional[dict] = None, fuse_conv_bn: bool = False,
                 channels_last: bool = False):
        packaged = None if isinstance(model, Config) else resolve_packaged(model)
        if packaged is not None:
            config, path = packaged
            self.config = path
            weights = path if weights is None else weights
            model = config
        elif isinstance(model, Config):
            self.config = model.filename
        else:
            self.config = find_config(model)
            model = self.config
        if weights is None:
            warnings.warn(f'HeadPoseInferencer: no weights given for {self.config}: the '
                          'model keeps its random initialisation')
        elif not osp.isfile(weights):
            raise FileNotFoundError(f'checkpoint file not found: {weights}')
        if isinstance(detector, str) and detector == DEFAULT_DETECTOR:
            detector = PACKAGED_DETECTOR if packaged is not None else None
        self.packaged = packaged is not None
        self.weights = None if weights is None else os.fspath(weights)
        self.device = device
        self.model = init_model(model, self.weights, device=device, cfg_options=cfg_options,
                                fuse_conv_bn=fuse_conv_bn, channels_last=channels_last)
        self.topdown = is_topdown(self.model)
        self.detector_spec = detector
        self.detector = None
        if detector is not None:
            if not self.topdown:
                raise ValueError(f'{type(self.model).__name__} finds the heads itself: it '
                                 'takes no detector (drop detector= / --detector)')
            self.detector = build_detector(detector, device=device)
        self._visualizers: dict = {}

    def __call__(self, inputs: InputsType, batch_size: int = 1, return_vis: bool = False,
                 out_dir: Optional[str] = None, no_save_vis: bool = False,
                 no_save_pred: bool = False, save_csv: bool = False,
                 show_progress: bool = True, score_thr: Optional[float] = None,
                 draw_cube: bool = False, smooth: float = 0.0, recursive: bool = False,
                 skip_failed: bool = False, max_frames: Optional[int] = None) -> dict:
        """Estimates the head poses of every image (or video frame) of ``inputs``.

        Args:
            inputs: an image path, a folder of images, a video file path (one result a
                frame), a webcam index (``int``), a BGR/BGRA/grayscale ``uint8`` array,
                an ``(N, H, W, 3)`` array, or a list of paths and arrays.
            batch_size: images per forward pass; a top-down model's head crops go
                through it ``batch_size`` at a time, at least ``MIN_CROP_BATCH`` (32).
            return_vis: also return the drawn images.
            out_dir: where to write ``vis/`` (drawn images as ``.jpg``, under their
                names relative to the input folder or to the common folder of a list's
                paths, arrays as ``00000.jpg``, ... by their index; a video as
                ``vis/<name>.mp4``) and
                ``results.json`` (and ``results.csv`` with ``save_csv``).
            no_save_vis: write no drawings to ``out_dir``.
            no_save_pred: write no ``results.json`` / ``results.csv`` to ``out_dir``.
            save_csv: also write ``results.csv`` (columns ``IMAGE_CSV_HEADER``, or
                ``VIDEO_CSV_HEADER`` for a video).
            show_progress: show a progress bar (not for a single image).
            score_thr: smallest head score kept: Multitask-Net's heads, and a detector's
                boxes when the detector has a ``score_thr`` (boxes from a file are kept
                whatever their score). ``None``: the model's and detector's own.
            draw_cube: also draw a thin cube around each head (off by default).
            smooth: momentum of :class:`RotationSmoother` over consecutive images or
                frames (0: off; e.g. 0.6 for videos).
            recursive: also read a folder's sub-folders.
            skip_failed: an image that cannot be read or estimated goes to ``failed``
                instead of raising.
            max_frames: read at most this many video frames.

        Returns:
            ``dict(predictions=[...], visualization=[...], failed=[...])``: per image
            (or frame) a record ``{'file', 'height', 'width', 'heads'}`` (``file``: the
            path relative to the input folder (a single image: its file name), a list's
            paths as given, ``None`` for an array, which has ``index`` (its place in the
            inputs) instead; a video's file name, and frames add ``frame`` and
            ``time_s``),
            each head
            ``{'bbox', 'score', 'yaw', 'pitch', 'roll', 'rotation'}`` as
            :func:`~headpose.apis.result_to_dicts` gives (frames add ``track``);
            the drawn BGR images if ``return_vis`` (else an empty list); the images
            that failed as ``{'file', 'error'}``.
        """
        save_vis = out_dir is not None and not no_save_vis
        save_pred = out_dir is not None and not no_save_pred
        stream = self.stream(inputs, batch_size=batch_size, return_vis=return_vis or save_vis,
                             show_progress=show_progress, score_thr=score_thr,
                             draw_cube=draw_cube, smooth=smooth, recursive=recursive,
                             skip_failed=skip_failed, max_frames=max_frames)
        vis_dir = osp.join(out_dir, 'vis') if out_dir is not None else None
        if out_dir is not None:
            os.makedirs(vis_dir if save_vis else out_dir, exist_ok=True)
        sink = VideoSink(osp.join(vis_dir, f'{stream.name}.mp4'), stream.fps) \
            if save_vis and stream.kind == 'video' else None
        predictions, visualization, failed = [], [], []
        try:
            for item in stream:
                if item['error'] is not None:
                    failed.append(item['error'])
                    continue
                record, drawn = item['prediction'], item['visualization']
                predictions.append(record)
                if return_vis:
                    visualization.append(drawn)
                if sink is not None:
                    sink.write(drawn)
                elif save_vis:
                    try:
                        self._save_image(drawn, vis_dir, item['name'])
                    except IOError as err:
                        if not skip_failed:
                            raise
                        failed.append(dict(file=_name_of(record),
                                           error=f'{type(err).__name__}: {err}'))
        finally:
            stream.close()
            if sink is not None:
                sink.close()
        if save_pred:
            self._save_predictions(out_dir, predictions, failed, save_csv, stream.kind)
        return dict(predictions=predictions, visualization=visualization, failed=failed)

    def stream(self, inputs: InputsType, batch_size: int = 1, return_vis: bool = False,
               show_progress: bool = True, score_thr: Optional[float] = None,
               draw_cube: bool = False, smooth: float = 0.0, recursive: bool = False,
               skip_failed: bool = False, max_frames: Optional[int] = None
               ) -> InferenceStream:
        """Like :meth:`__call__`, but yields the results one image or frame at a time
        and writes nothing: a long video is read lazily, in ``batch_size`` frames, and
        memory stays flat.

        The arguments are those of :meth:`__call__`; they are checked and the input is
        opened before this returns (a bad video raises ``IOError`` here).

        Returns:
            An :class:`InferenceStream` of ``dict(prediction=record,
            visualization=drawn BGR image or None, error=None, name=...)`` (``name``: what
            :meth:`__call__` saves the drawing as, without ``.jpg``); with
            ``skip_failed``, an image that failed gives ``prediction=None`` and
            ``error={'file', 'error'}``.
            Close it (or read it to the end) to release a video.
        """
        if batch_size < 1:
            raise ValueError(f'batch_size must be at least 1, got {batch_size}')
        smoother = RotationSmoother(smooth) if smooth else None
        full_range = model_full_range(self.model) if smoother is not None else False
        if isinstance(inputs, int) or is_video(inputs):
            source = _Video(inputs, max_frames)
        else:
            source = _Images(inputs, recursive)
        options = dict(batch_size=batch_size, return_vis=return_vis, score_thr=score_thr,
                       draw_cube=draw_cube, smoother=smoother, full_range=full_range,
                       skip_failed=skip_failed, show_progress=show_progress)
        return InferenceStream(source, self._generate(source, **options))

    # -- the steps of a stream ---------------------------------------------------------------

    def _generate(self, source, batch_size: int, show_progress: bool, skip_failed: bool,
                  **options) -> Iterator[dict]:
        from tqdm import tqdm
        unit = 'frame' if source.kind == 'video' else 'img'
        bar = tqdm(total=source.total, desc=source.name, unit=unit,
                   disable=not show_progress or source.total == 1)
        batch = []
        try:
            for image, record, key, name in source.items():
                try:
                    bgr, _ = load_image(image)
                except Exception as err:
                    if not skip_failed:
                        raise
                    bar.update(1)
                    yield _failure(record, name, err)
                    continue
                batch.append((bgr, record, key, name))
                if len(batch) == batch_size:
                    yield from self._estimate(batch, bar, skip_failed, **options)
                    batch = []
            if batch:
                yield from self._estimate(batch, bar, skip_failed, **options)
        finally:
            bar.close()
            source.close()

    def _estimate(self, batch: list, bar, skip_failed: bool, return_vis: bool,
                  score_thr: Optional[float], draw_cube: bool, smoother, full_range: bool
                  ) -> Iterator[dict]:
        """Estimates a batch of loaded images; with ``skip_failed``, a failing batch is
        redone image by image so that only the failing ones are reported."""
        try:
            samples = self._infer([one[0] for one in batch], [one[2] for one in batch],
                                  score_thr, len(batch))
        except Exception as err:
            if not skip_failed:
                raise
            if len(batch) == 1:
                bar.update(1)
                yield _failure(batch[0][1], batch[0][3], err)
                return
            for one in batch:
                yield from self._estimate([one], bar, skip_failed, return_vis, score_thr,
                                          draw_cube, smoother, full_range)
            return
        for (bgr, record, _, name), sample in zip(batch, samples):
            tracks = None
            if smoother is not None:
                tracks = self._smooth(sample, smoother, full_range)
            heads = result_to_dicts(sample)
            if 'frame' in record:
                for k, head in enumerate(heads):
                    head['track'] = int(tracks[k]) if tracks is not None else k
            h, w = bgr.shape[:2]
            prediction = dict(record, height=int(h), width=int(w), heads=heads)
            drawn = self._visualizer(draw_cube).draw_sample(bgr, sample) if return_vis \
                else None
            bar.update(1)
            yield dict(prediction=prediction, visualization=drawn, error=None, name=name)

    def _infer(self, images: List[np.ndarray], keys: list, score_thr: Optional[float],
               batch_size: int) -> list:
        """One :func:`inference_model` call on loaded images (boxes from the detector)."""
        if not self.topdown:
            return inference_model(self.model, images, score_thr=score_thr,
                                   batch_size=batch_size)
        bboxes = None
        if self.detector is not None:
            with _Threshold(self.detector, score_thr):
                bboxes = [self.detector(img, key) for img, key in zip(images, keys)]
        return inference_model(self.model, images, bboxes=bboxes,
                               batch_size=max(batch_size, MIN_CROP_BATCH))

    @staticmethod
    def _smooth(sample, smoother: RotationSmoother, full_range: bool) -> np.ndarray:
        """Smooths a result's rotations in place (angles read off the smoothed matrices);
        returns the heads' track ids."""
        from headpose.structures import matrix_to_euler
        inst = sample.pred_instances
        boxes = inst.bboxes.cpu().numpy().reshape(-1, 4)
        rots = inst.rotations.cpu().numpy().reshape(-1, 3, 3).astype(np.float64)
        rots, tracks = smoother.update(boxes, rots)
        inst.rotations = inst.rotations.new_tensor(rots)
        inst.poses = inst.poses.new_tensor(matrix_to_euler(rots, full_range))
        return tracks

    def _visualizer(self, draw_cube: bool):
        if draw_cube not in self._visualizers:
            from headpose.visualization import HeadPoseVisualizer
            self._visualizers[draw_cube] = HeadPoseVisualizer(
                name=f'headpose_inferencer_{id(self)}_{int(draw_cube)}', draw_cube=draw_cube)
        return self._visualizers[draw_cube]

    # -- writing -----------------------------------------------------------------------------

    @staticmethod
    def _save_image(drawn: np.ndarray, vis_dir: str, name: str) -> None:
        out = osp.join(vis_dir, osp.splitext(name)[0] + '.jpg')
        os.makedirs(osp.dirname(out), exist_ok=True)
        if not cv2.imwrite(out, drawn):
            raise IOError(f'cannot write {out}')

    def _save_predictions(self, out_dir: str, predictions: list, failed: list, save_csv: bool,
                          kind: str) -> None:
        detector = self.detector_spec
        if detector is not None and not isinstance(detector, (str, dict)):
            detector = type(detector).__name__
        no_heads = [r['frame'] if 'frame' in r else _name_of(r) for r in predictions
                    if not r['heads']]
        with open(osp.join(out_dir, 'results.json'), 'w', encoding='utf-8') as f:
            json.dump(dict(config=self.config, checkpoint=self.weights, detector=detector,
                           results=predictions, failed=failed, no_heads=no_heads), f, indent=1)
        if save_csv:
            with open(osp.join(out_dir, 'results.csv'), 'w', newline='', encoding='utf-8') as f:
                rows = csv.writer(f)
                rows.writerow(VIDEO_CSV_HEADER if kind == 'video' else IMAGE_CSV_HEADER)
                for record in predictions:
                    rows.writerows(csv_rows(record))


def demo_inferencer(config: Optional[str] = None, checkpoint: Optional[str] = None,
                    model: Optional[str] = None, detector: Optional[str] = None,
                    device: str = 'cpu') -> 'HeadPoseInferencer':
    """The demos' model: ``CONFIG CHECKPOINT`` when given (they win), else a packaged model.

    Args:
        config: the demos' CONFIG: a config (file, name) or a packaged model (name,
            folder, file), which then needs no checkpoint.
        checkpoint: the demos' CHECKPOINT (``.pth``, ``.onnx``, or a packaged
            ``model.pth``).
        model: ``--model``: a packaged model (name, folder or file); with neither
            ``config`` nor ``model``, the default packaged model.
        detector: ``--detector``; unset: BlazeFace for a packaged model (``'auto'``),
            the whole image as the head for a config and checkpoint (as always).
        device: ``--device``.

    Raises:
        ValueError: both ``config`` and ``model``, or a config without a checkpoint.
        FileNotFoundError: the packaged model is not built (the message says how).
    """
    if config is not None and model is not None:
        raise ValueError('give CONFIG [CHECKPOINT] or --model, not both')
    if config is None:
        from headpose.model_zoo import packaged_model_path
        path = packaged_model_path(model)  # --model names a packaged model, nothing else
        return HeadPoseInferencer(path, device=device,
                                  detector=detector if detector is not None else DEFAULT_DETECTOR)
    if checkpoint is None:
        if resolve_packaged(config) is None:
            raise ValueError(f'{config} is a config: give its CHECKPOINT too (or no CONFIG '
                             'for the packaged model, or --model NAME for another one)')
        return HeadPoseInferencer(config, device=device,
                                  detector=detector if detector is not None else DEFAULT_DETECTOR)
    return HeadPoseInferencer(config, checkpoint, device=device, detector=detector)


def _name_of(record: dict):
    """An image's name in reports: its file, or its index in the inputs for an array."""
    return record['file'] if record.get('file') is not None else record.get('index')


def _failure(record: dict, name: str, err: Exception) -> dict:
    return dict(prediction=None, visualization=None, name=name,
                error=dict(file=_name_of(record), error=f'{type(err).__name__}: {err}'))


__all__ = ['DEFAULT_DETECTOR', 'HeadPoseInferencer', 'IMAGE_CSV_HEADER', 'IMAGE_EXTENSIONS',
           'InferenceStream', 'PACKAGED_DETECTOR', 'VIDEO_CSV_HEADER', 'VIDEO_EXTENSIONS',
           'VideoSink', 'config_roots', 'csv_rows', 'demo_inferencer', 'demo_score_thr',
           'find_config', 'is_video', 'list_images', 'model_full_range', 'open_video',
           'resolve_packaged']
