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
from typing import List, Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

from headpose.structures import HeadPoseDataSample
from headpose.utils import register_all_modules
from headpose.utils.checkpoint_io import (  # noqa: F401 - re-exported by headpose.apis
    CheckpointMismatchError,
    load_checkpoint_weights,
    load_model_weights,
)

from .pipeline import ImagesType, as_list, load_image, pipeline_of, run_batches


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
    register_all_modules(training=False)
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
