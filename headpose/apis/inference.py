"""Inference: building a model from a config and checkpoint, and estimating head poses.

Images are file paths or numpy arrays. Arrays are in OpenCV's channel order: ``(H, W)``
grayscale, ``(H, W, 3)`` BGR or ``(H, W, 4)`` BGRA, ``uint8``. Results are
:class:`~headpose.structures.HeadPoseDataSample` objects, one an image, whose
``pred_instances`` hold, per head, ``bboxes`` (K, 4) xyxy pixels of the original image,
``scores`` (K,), ``rotations`` (K, 3, 3) and ``poses`` (K, 3) = (yaw, pitch, roll) in
degrees (the convention of ``docs/conventions.md``); :func:`result_to_dicts` turns one
into plain Python for JSON.
"""

import os
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.structures import InstanceData

from headpose.engine.checkpoint import (  # noqa: F401 - re-exported by headpose.apis
    CheckpointMismatchError,
    load_checkpoint_weights,
    load_model_weights,
)
from headpose.structures import HeadPoseDataSample

ImageType = Union[str, os.PathLike, np.ndarray]
ImagesType = Union[ImageType, Sequence[ImageType]]
BoxesType = Optional[Union[np.ndarray, Sequence[Sequence[float]]]]


def _ensure_registered() -> None:
    from mmengine.registry import init_default_scope

    from headpose.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    init_default_scope('headpose')


def init_model(config: Union[str, Config], checkpoint: Optional[str] = None,
               device: str = 'cpu', cfg_options: Optional[dict] = None,
               fuse_conv_bn: bool = False, channels_last: bool = False) -> torch.nn.Module:
    """Builds a model from a config and loads its weights, ready for inference.

    Args:
        config: a config file path or a :class:`mmengine.Config`.
        checkpoint: the weights (an mmengine checkpoint with a ``state_dict``, or a
            bare state dict); ``None`` keeps the freshly built (random) weights.
            Loaded with ``torch.load(weights_only=True)``: nothing else is unpickled.
            An ``.onnx`` file (from ``tools/deployment/pytorch2onnx.py``) gives an
            :class:`~headpose.apis.OnnxHeadPoseModel` run by ONNX Runtime instead.
        device: ``'cpu'``, ``'cuda'``, ``'cuda:0'``, ...
        cfg_options: overrides merged into the config (as ``--cfg-options``).
        fuse_conv_bn: fold BatchNorm into the convolutions after loading (faster
            inference, the same results to rounding; see
            :func:`~headpose.models.optimize_for_inference`).
        channels_last: NHWC weights and inputs (faster on CPUs).

    Returns:
        The model in eval mode on ``device``; its config is ``model.cfg``.

    Raises:
        FileNotFoundError: the config or checkpoint file does not exist.
        CheckpointMismatchError: the checkpoint does not fit the config's model.
    """
    _ensure_registered()
    if isinstance(config, (str, os.PathLike)):
        if not osp.isfile(config):
            raise FileNotFoundError(f'config file not found: {config}')
        config = Config.fromfile(str(config))
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a file path or a Config, got {type(config).__name__}')
    else:
        config = config.copy()
    if cfg_options:
        config.merge_from_dict(cfg_options)
    if checkpoint is not None and str(checkpoint).endswith('.onnx'):
        from .onnx_model import OnnxHeadPoseModel
        return OnnxHeadPoseModel(str(checkpoint), config)
    from headpose.registry import MODELS
    model = MODELS.build(config.model)
    model.cfg = config
    model.dataset_meta = {}
    if checkpoint is not None:
        meta = load_model_weights(model, checkpoint)
        model.dataset_meta = meta.get('dataset_meta') or {}
    model.to(device)
    model.eval()
    if fuse_conv_bn or channels_last:
        from headpose.models import optimize_for_inference
        optimize_for_inference(model, fuse_conv_bn, channels_last)
    return model


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
    _ensure_registered()
    from headpose.registry import TRANSFORMS
    return Compose([TRANSFORMS.build(t) for t in get_test_pipeline(cfg)])


def _pipeline_of(model) -> Compose:
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


def _as_list(img: ImagesType) -> tuple:
    """``(list of images, whether a single image was given)``."""
    if isinstance(img, (str, os.PathLike)) or (isinstance(img, np.ndarray) and img.ndim in (2, 3)):
        return [img], True
    if isinstance(img, np.ndarray) and img.ndim == 4:
        return list(img), False
    if isinstance(img, (list, tuple)):
        return list(img), False
    raise TypeError('img must be a path, an image array, or a list of them; '
                    f'got {type(img).__name__}')


def _boxes_array(boxes, where: str) -> np.ndarray:
    arr = np.asarray(boxes, dtype=np.float32)
    if arr.size == 0:
        return np.zeros((0, 5), np.float32)
    arr = arr.reshape(-1, arr.shape[-1]) if arr.ndim > 1 else arr.reshape(1, -1)
    if arr.shape[1] == 4:
        arr = np.concatenate([arr, np.ones((len(arr), 1), np.float32)], axis=1)
    if arr.shape[1] != 5:
        raise ValueError(f'{where}: boxes must be (K, 4) x1, y1, x2, y2 or (K, 5) with a '
                         f'score, got shape {np.asarray(boxes).shape}')
    bad = (arr[:, 2] <= arr[:, 0]) | (arr[:, 3] <= arr[:, 1])
    if bad.any():
        raise ValueError(f'{where}: empty boxes (x2 <= x1 or y2 <= y1): {arr[bad, :4].tolist()}')
    return arr


def _instances(boxes: np.ndarray, rotations: list, poses: list) -> InstanceData:
    inst = InstanceData()
    inst.bboxes = torch.as_tensor(boxes[:, :4], dtype=torch.float32).reshape(-1, 4)
    inst.scores = torch.as_tensor(boxes[:, 4], dtype=torch.float32).reshape(-1)
    inst.rotations = (torch.stack(rotations).float() if rotations
                      else torch.zeros((0, 3, 3))).reshape(-1, 3, 3)
    inst.poses = (torch.stack(poses).float() if poses else torch.zeros((0, 3))).reshape(-1, 3)
    return inst


def is_topdown(model) -> bool:
    """Whether ``model`` estimates the pose of given head crops (RankPose-type) rather
    than detecting heads itself (Multitask-Net-type)."""
    from headpose.models.estimators import TopDownPoseEstimator
    return isinstance(model, TopDownPoseEstimator) or bool(getattr(model, 'is_topdown', False))


def _run_batches(model, items: list, batch_size: int) -> list:
    """Runs packed pipeline outputs through ``model.test_step`` in chunks."""
    out = []
    for i in range(0, len(items), batch_size):
        chunk = items[i:i + batch_size]
        data = dict(inputs=[d['inputs'] for d in chunk],
                    data_samples=[d['data_samples'] for d in chunk])
        with torch.no_grad():
            out.extend(model.test_step(data))
    return out


def inference_topdown(model, img: ImagesType, bboxes: Union[BoxesType, List[BoxesType]] = None,
                      detector: Union[None, str, dict, Callable] = None,
                      batch_size: int = 32
                      ) -> Union[HeadPoseDataSample, List[HeadPoseDataSample]]:
    """Estimates the pose of every head of an image with a top-down (RankPose-type) model.

    Each head is cropped by the config's test pipeline (the ``CropHead`` of training),
    from the boxes given, else from those a detector finds, else from the whole image.

    Args:
        model: a top-down model from :func:`init_model` (or an
            :class:`~headpose.apis.OnnxHeadPoseModel`).
        img: a path or an array (grayscale, BGR or BGRA uint8), or a list of them.
        bboxes: per image, ``(K, 4)`` boxes ``x1, y1, x2, y2`` in pixels, or ``(K, 5)``
            with a score; for a list of images, a list of those. ``None``: use
            ``detector``.
        detector: a head detector (see :func:`build_detector`: an object, a registry
            dict, ``'haar'``, ``'file:PATH'`` or ``'CONFIG.py:CKPT'``). With neither
            boxes nor detector, the whole image is one head. A detector that finds no
            head gives an empty result for that image.
        batch_size: head crops per forward pass.

    Returns:
        One :class:`HeadPoseDataSample` (a single image given) or a list of them, with
        ``pred_instances`` (see the module docstring) and meta information
        ``img_path``, ``ori_shape`` (h, w).

    Raises:
        headpose.datasets.ImageReadError: an image path that cannot be read.
        ValueError: malformed boxes or images.
    """
    images, single = _as_list(img)
    if bboxes is not None:
        per_image = [bboxes] if single else list(bboxes)
        if len(per_image) != len(images):
            raise ValueError(f'inference_topdown: {len(images)} images but boxes for '
                             f'{len(per_image)}')
    else:
        per_image = [None] * len(images)
    if detector is not None and not callable(detector):
        from .detectors import build_detector
        detector = build_detector(detector)
    pipeline = _pipeline_of(model)
    loaded, items, owners = [], [], []
    for k, (image, boxes) in enumerate(zip(images, per_image)):
        bgr, path = load_image(image)
        where = path or f'image {k}'
        if boxes is not None:
            boxes = _boxes_array(boxes, where)
        elif detector is not None:
            boxes = _boxes_array(detector(bgr, path), f'{where} (detector)')
        else:
            h, w = bgr.shape[:2]
            boxes = np.array([[0, 0, w, h, 1.0]], np.float32)
        loaded.append((bgr, path, boxes))
        for box in boxes:
            items.append(pipeline(dict(img=bgr, img_path=path, bbox=box[:4].copy())))
            owners.append(k)
    preds = _run_batches(model, items, batch_size)
    results = []
    for k, (bgr, path, boxes) in enumerate(loaded):
        mine = [p for p, o in zip(preds, owners) if o == k]
        sample = HeadPoseDataSample(metainfo=dict(img_path=path, ori_shape=bgr.shape[:2]))
        sample.pred_instances = _instances(boxes, [p.pred_rotation.cpu() for p in mine],
                                           [p.pred_pose.cpu() for p in mine])
        results.append(sample)
    return results[0] if single else results


def inference_multitask(model, img: ImagesType, score_thr: Optional[float] = None,
                        batch_size: int = 8
                        ) -> Union[HeadPoseDataSample, List[HeadPoseDataSample]]:
    """Detects every head of an image and estimates its pose with a Multitask-Net.

    Args:
        model: a multi-head model from :func:`init_model` whose predictions are
            ``pred_instances`` with ``bboxes`` (in original image pixels), ``scores``,
            ``rotations`` and ``poses``.
        img: a path or an array (grayscale, BGR or BGRA uint8), or a list of them.
        score_thr: keep heads with at least this score (``None``: the model's own
            ``test_cfg`` threshold only).
        batch_size: images per forward pass.

    Returns:
        One :class:`HeadPoseDataSample` or a list of them, as :func:`inference_topdown`.
    """
    images, single = _as_list(img)
    pipeline = _pipeline_of(model)
    loaded, items = [], []
    for image in images:
        bgr, path = load_image(image)
        loaded.append((bgr, path))
        items.append(pipeline(dict(img=bgr, img_path=path)))
    preds = _run_batches(model, items, batch_size)
    results = []
    for (bgr, path), pred in zip(loaded, preds):
        inst = pred.pred_instances
        keep = torch.ones(len(inst), dtype=torch.bool)
        if score_thr is not None:
            keep = inst.scores.cpu() >= score_thr
        boxes = torch.cat([inst.bboxes.cpu().float().reshape(-1, 4),
                           inst.scores.cpu().float().reshape(-1, 1)], dim=1)[keep].numpy()
        sample = HeadPoseDataSample(metainfo=dict(img_path=path, ori_shape=bgr.shape[:2]))
        sample.pred_instances = _instances(
            boxes, list(inst.rotations.cpu()[keep]), list(inst.poses.cpu()[keep]))
        results.append(sample)
    return results[0] if single else results


def inference_model(model, img: ImagesType, bboxes=None, detector=None, **kwargs):
    """:func:`inference_topdown` for top-down models, :func:`inference_multitask` otherwise
    (``bboxes`` and ``detector`` are then not allowed)."""
    if is_topdown(model):
        return inference_topdown(model, img, bboxes=bboxes, detector=detector, **kwargs)
    if bboxes is not None or detector is not None:
        raise ValueError(f'{type(model).__name__} finds heads itself: it takes no boxes and '
                         'no detector')
    return inference_multitask(model, img, **kwargs)


def result_to_dicts(sample: HeadPoseDataSample) -> List[dict]:
    """The heads of a result as plain Python: ``bbox``, ``score``, ``yaw``, ``pitch``,
    ``roll`` (degrees) and ``rotation`` (3 x 3 rows), for JSON."""
    inst = sample.pred_instances
    heads = []
    for i in range(len(inst)):
        yaw, pitch, roll = [float(v) for v in inst.poses[i].cpu()]
        heads.append(dict(
            bbox=[round(float(v), 2) for v in inst.bboxes[i].cpu()],
            score=round(float(inst.scores[i]), 5),
            yaw=round(yaw, 4), pitch=round(pitch, 4), roll=round(roll, 4),
            rotation=[[round(float(v), 6) for v in row] for row in inst.rotations[i].cpu()]))
    return heads


__all__ = ['CheckpointMismatchError', 'build_test_pipeline', 'get_test_pipeline',
           'inference_model', 'inference_multitask', 'inference_topdown', 'init_model',
           'is_topdown', 'load_checkpoint_weights', 'load_image', 'load_model_weights',
           'result_to_dicts']
