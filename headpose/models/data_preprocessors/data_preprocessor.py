"""Batching, colour order and normalisation on the model's device; pairs are flattened."""

from typing import Optional, Sequence

import torch
from mmengine.model import BaseDataPreprocessor

from headpose.registry import MODELS


@MODELS.register_module()
class HeadPoseDataPreprocessor(BaseDataPreprocessor):
    """Stacks uint8 (C, H, W) images, converts BGR to RGB and normalises them.

    A batch of pairs (from ``PairDataset``) arrives as ``[firsts, seconds]``; it is
    flattened into ``firsts + seconds`` so both halves go through one forward pass.

    Args:
        mean: per-channel mean, in the output colour order.
        std: per-channel standard deviation, in the output colour order.
        bgr_to_rgb: swap the channels of the BGR images.
        channels_last: return inputs in ``torch.channels_last`` memory format.
    """

    def __init__(self, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375), bgr_to_rgb: bool = True,
                 channels_last: bool = False):
        super().__init__()
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1),
                             False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(-1, 1, 1),
                             False)
        self.bgr_to_rgb = bgr_to_rgb
        self.channels_last = channels_last

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        samples: Optional[list] = data.get('data_samples')
        if isinstance(inputs, (list, tuple)) and inputs and isinstance(inputs[0], (list, tuple)):
            inputs = [img for half in inputs for img in half]
            samples = [s for half in samples for s in half] if samples is not None else None
        if isinstance(inputs, torch.Tensor) and inputs.dim() == 4:
            batch = inputs
        else:
            shapes = {tuple(img.shape) for img in inputs}
            if len(shapes) != 1:
                raise ValueError(f'HeadPoseDataPreprocessor: images of one batch must have one '
                                 f'size; got {sorted(shapes)}')
            batch = torch.stack(list(inputs))
        # Channel order and memory format are set on the uint8 batch (a quarter of the
        # bytes); then one pass converts to float and one normalises: x / std - mean / std.
        batch = batch.to(self.mean.device, non_blocking=True)
        if self.bgr_to_rgb and batch.shape[1] == 3:
            batch = batch.flip(1)
        if self.channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        batch = torch.addcmul(-self.mean / self.std, batch.float(), 1.0 / self.std)
        if samples is not None:
            samples = self.cast_data(samples)
        return dict(inputs=batch, data_samples=samples)
