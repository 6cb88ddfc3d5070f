"""Tests of the YOLOv3 neck: the FPN's outputs, deepest first."""

import pytest
import torch

from headpose.models.necks import YOLOV3Neck


def test_yolov3_neck_shapes():
    neck = YOLOV3Neck(in_channels=(128, 64, 32), out_channels=(64, 32, 16))
    feats = (torch.zeros(2, 32, 8, 8), torch.zeros(2, 64, 4, 4), torch.zeros(2, 128, 2, 2))
    outs = neck(feats)
    assert [tuple(o.shape) for o in outs] == [(2, 64, 2, 2), (2, 32, 4, 4), (2, 16, 8, 8)]
    # The second block sees its backbone map concatenated with the upsampled top.
    assert neck.blocks[1][0][0].in_channels == 64 + 32
    with pytest.raises(ValueError, match='maps'):
        neck(feats[:2])
