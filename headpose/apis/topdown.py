"""Top-down inference: head boxes (given or found by a detector) -> one pose per head."""

from typing import Callable, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.structures import InstanceData

from headpose.structures import HeadPoseDataSample

from .detectors import build_detector
from .inference import inference_multitask
from .pipeline import ImagesType, as_list, is_topdown, load_image, pipeline_of, run_batches

BoxesType = Optional[Union[np.ndarray, Sequence[Sequence[float]]]]


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
        ``pred_instances`` (see :mod:`headpose.apis.inference`) and meta information
        ``img_path``, ``ori_shape`` (h, w).

    Raises:
        headpose.datasets.ImageReadError: an image path that cannot be read.
        ValueError: malformed boxes or images.
    """
    images, single = as_list(img)
    if bboxes is not None:
        per_image = [bboxes] if single else list(bboxes)
        if len(per_image) != len(images):
            raise ValueError(f'inference_topdown: {len(images)} images but boxes for '
                             f'{len(per_image)}')
    else:
        per_image = [None] * len(images)
    if detector is not None and not callable(detector):
        detector = build_detector(detector)
    pipeline = pipeline_of(model)
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
        for box in boxes:  # each head a crop: an image with one instance
            items.append(pipeline(dict(img=bgr, img_path=path, gt_bboxes=box[None, :4].copy(),
                                       bbox_score=float(box[4]))))
            owners.append(k)
    preds = run_batches(model, items, batch_size)
    results = []
    for k, (bgr, path, boxes) in enumerate(loaded):
        mine = [p.pred_instances.cpu() for p, o in zip(preds, owners) if o == k]
        sample = HeadPoseDataSample(metainfo=dict(img_path=path, ori_shape=bgr.shape[:2]))
        sample.pred_instances = InstanceData.cat(mine) if mine else _no_heads()
        results.append(sample)
    return results[0] if single else results


def _no_heads() -> InstanceData:
    return InstanceData(bboxes=torch.zeros((0, 4)), scores=torch.zeros((0, )),
                        rotations=torch.zeros((0, 3, 3)), poses=torch.zeros((0, 3)))


def inference_model(model, img: ImagesType, bboxes=None, detector=None, **kwargs):
    """:func:`inference_topdown` for top-down models, :func:`inference_multitask` otherwise
    (``bboxes`` and ``detector`` are then not allowed)."""
    if is_topdown(model):
        return inference_topdown(model, img, bboxes=bboxes, detector=detector, **kwargs)
    if bboxes is not None or detector is not None:
        raise ValueError(f'{type(model).__name__} finds heads itself: it takes no boxes and '
                         'no detector')
    return inference_multitask(model, img, **kwargs)



__all__ = ['inference_model', 'inference_topdown']
