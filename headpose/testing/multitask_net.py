"""Test helpers for Multitask-Net: a tiny model config and seeded multi-head batches."""

import os.path as osp
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.structures import InstanceData

from headpose.structures import HeadPoseDataSample, euler_to_matrix

#: Anchors (w, h) for 64 x 64 inputs, per level of stride 32, 16, 8.
TINY_ANCHORS = (((40, 48), (52, 60), (60, 64)),
                ((20, 24), (26, 32), (32, 38)),
                ((8, 10), (12, 14), (16, 18)))


def pose_head_cfg(representation: str = 'vector', **kwargs) -> dict:
    """An ``AggregationPoseHead`` config with the codec and losses of Multitask-Net's
    ``'vector'`` (rotation vectors, vector MSE + orthogonality) or ``'euler'`` (angles in
    units of 90 degrees, squared error) variant; ``kwargs`` override."""
    if representation == 'vector':
        cfg = dict(codec=dict(type='RotationVectorCodec', full_range=True))
    elif representation == 'euler':
        cfg = dict(codec=dict(type='EulerCodec', full_range=True, angle_unit=90.0),
                   loss=dict(type='SquaredErrorLoss', loss_weight=1.0), loss_orth=None)
    else:
        raise ValueError(f"representation must be 'vector' or 'euler', got {representation!r}")
    return dict(type='AggregationPoseHead', **cfg, **kwargs)


def tiny_multitask_cfg(widen: float = 0.125, representation: str = 'vector',
                       aggregate: bool = True, tanh_box: bool = False,
                       alpha: float = 0.5) -> dict:
    """A Multitask-Net config small enough for unit tests (Darknet-53 at 1/8 width)."""
    neck_in = [int(c * widen) for c in (1024, 512, 256)]
    neck_out = [int(c * widen) for c in (512, 256, 128)]
    bridge = [int(c * widen) for c in (1024, 512, 256)]
    return dict(
        type='MultiTaskNet',
        data_preprocessor=dict(type='HeadPoseDataPreprocessor', mean=[0, 0, 0],
                               std=[255, 255, 255]),
        backbone=dict(type='Darknet', widen_factor=widen),
        neck=dict(type='YOLOV3Neck', in_channels=neck_in, out_channels=neck_out),
        head=dict(
            type='MultiTaskHead',
            alpha=alpha,
            bbox_head=dict(type='YOLOV3Head', in_channels=neck_out, out_channels=bridge,
                           tanh_box=tanh_box,
                           anchor_generator=dict(type='YOLOAnchorGenerator',
                                                 strides=(32, 16, 8), base_sizes=TINY_ANCHORS)),
            pose_head=pose_head_cfg(representation, in_channels=neck_out,
                                    box_channels=bridge, aggregate=aggregate)))


def write_tiny_multitask(folder) -> tuple:
    """Writes a tiny random Multitask-Net's config file and checkpoint into ``folder``.

    Its score thresholds are 0 (random weights score low), at most 5 heads an image, and
    its test pipeline letterboxes to 64 x 64: the model the demo and inferencer tests
    run end to end.

    Returns:
        ``(config path, checkpoint path)`` as strings.
    """
    from mmengine.config import Config

    from headpose.apis import init_model
    model_cfg = tiny_multitask_cfg()
    model_cfg['head']['bbox_head']['test_cfg'] = dict(
        conf_thr=0.0, score_thr=0.0, nms_iou=0.45, nms_pre=100, max_per_img=5)
    cfg = Config(dict(default_scope='headpose', model=model_cfg,
                      test_pipeline=[dict(type='LoadImage'),
                                     dict(type='LetterBox', scale=(64, 64)),
                                     dict(type='PackHeadPoseInputs')]))
    cfg_path, ckpt = osp.join(str(folder), 'tiny_multitask.py'), osp.join(str(folder), 'tiny.pth')
    cfg.dump(cfg_path)
    torch.save({'state_dict': init_model(cfg).state_dict(), 'meta': {}}, ckpt)
    return cfg_path, ckpt


def spread_multitask_outputs(model, inputs: torch.Tensor, box_std: float = 2.0,
                             pose_std: float = 0.3,
                             pose_angles: Sequence[float] = (60.0, -20.0, 15.0)) -> None:
    """Gives a randomly initialised Multitask-Net outputs worth comparing, in place.

    Untrained, the prediction convs output almost constants: no score passes the
    threshold and the pose matrices are nearly zero (their SVD projection ill-posed).
    This scales each prediction conv's weights so that, on ``inputs``, its outputs vary
    with a standard deviation of ``box_std`` (box branch: spread scores and boxes, many
    detections) or ``pose_std`` (pose branch, around the encoding of ``pose_angles``,
    yaw, pitch, roll in degrees).

    Args:
        model: a ``MultiTaskNet``.
        inputs: a preprocessed ``(N, 3, H, W)`` batch.
        box_std: the spread of the box branch's raw outputs.
        pose_std: the spread of the pose branch's raw outputs.
        pose_angles: the pose the pose outputs vary around.
    """
    head = model.head
    rotation = euler_to_matrix(torch.tensor([list(pose_angles)], dtype=torch.float32))
    pose_bias = head.codec.encode(rotation.float())[0]
    box_bias = torch.zeros(5 + head.bbox_head.num_classes)
    box_bias[4] = -1.0  # objectness about 0.27 before the spread
    outputs = []
    convs = list(head.bbox_head.preds) + list(head.pose_head.preds)
    hooks = [c.register_forward_hook(lambda mod, _, out: outputs.append((mod, out)))
             for c in convs]
    try:
        with torch.no_grad():
            head(model.extract_feat(inputs))
    finally:
        for hook in hooks:
            hook.remove()
    with torch.no_grad():
        for conv, out in outputs:
            is_box = conv in list(head.bbox_head.preds)
            spread = (out - conv.bias[None, :, None, None]).std().clamp(min=1e-12)
            conv.weight.mul_((box_std if is_box else pose_std) / spread)
            bias = box_bias if is_box else pose_bias
            conv.bias.copy_(bias.repeat(conv.out_channels // len(bias)))


def multihead_sample(boxes: Sequence[Sequence[float]], angles: Sequence[Sequence[float]],
                     img_shape: tuple = (64, 64),
                     metainfo: Optional[dict] = None) -> HeadPoseDataSample:
    """A data sample with ``gt_instances`` (boxes xyxy, rotations from (yaw, pitch, roll))."""
    sample = HeadPoseDataSample(metainfo=dict(img_shape=img_shape, ori_shape=img_shape,
                                              **(metainfo or {})))
    gt = InstanceData()
    gt.bboxes = torch.as_tensor(np.asarray(boxes, np.float32).reshape(-1, 4))
    ang = np.asarray(angles, np.float64).reshape(-1, 3)
    gt.rotations = torch.as_tensor(euler_to_matrix(ang), dtype=torch.float32).reshape(-1, 3, 3)
    gt.labels = torch.zeros(len(ang), dtype=torch.long)
    sample.gt_instances = gt
    return sample


__all__ = ['TINY_ANCHORS', 'multihead_sample', 'pose_head_cfg', 'spread_multitask_outputs',
           'tiny_multitask_cfg']
