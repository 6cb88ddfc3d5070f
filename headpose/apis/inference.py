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
import pickle
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

from headpose.structures import HeadPoseDataSample
from headpose.utils import register_all_modules

from .pipeline import ImagesType, as_list, load_image, pipeline_of, run_batches


class CheckpointMismatchError(RuntimeError):
    """A checkpoint whose weights do not fit the model built from the config."""


def _list_keys(keys: Sequence[str], limit: int = 20) -> str:
    keys = sorted(keys)
    shown = ', '.join(keys[:limit])
    return shown + (f', ... ({len(keys) - limit} more)' if len(keys) > limit else '')


def load_checkpoint_weights(path: str) -> dict:
    """Reads a checkpoint with ``torch.load(weights_only=True)``; returns the whole dict.

    headpose's checkpoints keep their log state as plain numbers and lists (see
    :mod:`headpose.engine.checkpoint`); any pickled object other than tensors and
    plain containers is refused rather than unpickled.

    Raises:
        FileNotFoundError: no such file.
        RuntimeError: the file is not a checkpoint or holds non-weight objects.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    try:
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as err:
        raise RuntimeError(
            f'cannot load checkpoint {path}: it holds objects other than weights, and '
            'headpose never unpickles arbitrary objects (torch.load(weights_only=True)). '
            f'Save only the state_dict (and plain meta data). Details: {err}') from err
    except Exception as err:  # e.g. a truncated or non-torch file
        raise RuntimeError(f'cannot read checkpoint {path}: {err}') from err
    if not isinstance(ckpt, dict):
        raise RuntimeError(f'checkpoint {path} holds a {type(ckpt).__name__}, not a dict of '
                           'weights or a dict with a "state_dict"')
    return ckpt


def _state_dict_of(ckpt: dict, path: str) -> dict:
    for key in ('state_dict', 'model'):
        if isinstance(ckpt.get(key), dict):
            ckpt = ckpt[key]
            break
    if not all(isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise RuntimeError(f'checkpoint {path} has no "state_dict" of tensors '
                           f'(top-level keys: {_list_keys(list(ckpt))})')
    if ckpt and all(k.startswith('module.') for k in ckpt):  # saved from a DDP wrapper
        ckpt = {k[len('module.'):]: v for k, v in ckpt.items()}
    return ckpt


def load_model_weights(model: torch.nn.Module, checkpoint: str) -> dict:
    """Loads ``checkpoint`` into ``model`` strictly; returns the checkpoint's ``meta``.

    Raises:
        CheckpointMismatchError: listing missing keys, unexpected keys and keys whose
            shapes differ, when the checkpoint does not fit the model.
    """
    ckpt = load_checkpoint_weights(checkpoint)
    state = _state_dict_of(ckpt, checkpoint)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f'{k} (checkpoint {tuple(state[k].shape)}, model {tuple(own[k].shape)})'
              for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        lines = [f'checkpoint {checkpoint} does not match the model of the config '
                 f'({type(model).__name__}):']
        if missing:
            lines.append(f'  missing keys ({len(missing)}): {_list_keys(missing)}')
        if unexpected:
            lines.append(f'  unexpected keys ({len(unexpected)}): {_list_keys(unexpected)}')
        if shapes:
            lines.append(f'  shape mismatches ({len(shapes)}): {_list_keys(shapes)}')
        lines.append('  Was the checkpoint trained with this config (same backbone depth, '
                     'head and codec)?')
        raise CheckpointMismatchError('\n'.join(lines))
    model.load_state_dict(state, strict=True)
    meta = ckpt.get('meta')
    return meta if isinstance(meta, dict) else {}


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
    register_all_modules()
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
    images, single = as_list(img)
    pipeline = pipeline_of(model)
    loaded, items = [], []
    for image in images:
        bgr, path = load_image(image)
        loaded.append((bgr, path))
        items.append(pipeline(dict(img=bgr, img_path=path)))
    preds = run_batches(model, items, batch_size)
    results = []
    for (bgr, path), pred in zip(loaded, preds):
        inst = pred.pred_instances
        keep = torch.ones(len(inst), dtype=torch.bool)
        if score_thr is not None:
            keep = inst.scores.cpu() >= score_thr
        boxes = torch.cat([inst.bboxes.cpu().float().reshape(-1, 4),
                           inst.scores.cpu().float().reshape(-1, 1)], dim=1)[keep].numpy()
        sample = HeadPoseDataSample(metainfo=dict(img_path=path, ori_shape=bgr.shape[:2]))
        sample.pred_instances = instances_of(
            boxes, list(inst.rotations.cpu()[keep]), list(inst.poses.cpu()[keep]))
        results.append(sample)
    return results[0] if single else results


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



def instances_of(boxes: np.ndarray, rotations: list, poses: list) -> InstanceData:
    """An image's result: ``(K, 5)`` boxes with scores and the heads' rotations and poses."""
    inst = InstanceData()
    inst.bboxes = torch.as_tensor(boxes[:, :4], dtype=torch.float32).reshape(-1, 4)
    inst.scores = torch.as_tensor(boxes[:, 4], dtype=torch.float32).reshape(-1)
    inst.rotations = (torch.stack(rotations).float() if rotations
                      else torch.zeros((0, 3, 3))).reshape(-1, 3, 3)
    inst.poses = (torch.stack(poses).float() if poses else torch.zeros((0, 3))).reshape(-1, 3)
    return inst


__all__ = ['CheckpointMismatchError', 'inference_multitask', 'init_model', 'instances_of',
           'load_checkpoint_weights', 'load_model_weights', 'result_to_dicts']
