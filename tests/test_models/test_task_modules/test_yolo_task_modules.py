"""Tests of the YOLO anchor generator, grid assigner and box coder, and the vector codec."""

import math

import numpy as np
import pytest
import torch

from headpose.models.task_modules import (
    GridAssigner,
    RotationVectorCodec,
    YOLOAnchorGenerator,
    YOLOBBoxCoder,
)
from headpose.structures import euler_to_matrix, project_to_rotation


def test_anchor_generator_layout():
    gen = YOLOAnchorGenerator(strides=(32, 16), base_sizes=[[(40, 20), (20, 40)], [(8, 8),
                                                                                 (16, 16)]])
    priors = gen.grid_priors([(2, 3), (4, 6)])
    assert [tuple(p.shape) for p in priors] == [(2 * 3 * 2, 4), (4 * 6 * 2, 4)]
    # index (y * W + x) * A + a: cell (x=1, y=1), anchor 1 of level 0.
    idx = (1 * 3 + 1) * 2 + 1
    np.testing.assert_allclose(priors[0][idx].numpy(), [48 - 10, 48 - 20, 48 + 10, 48 + 20])
    flags = gen.responsible_flags([(2, 3), (4, 6)], torch.tensor([[40., 40, 60, 60]]))
    assert flags.shape == (12 + 48, 1)
    # centre (50, 50): cell (1, 1) at stride 32, cell (3, 3) at stride 16.
    top, mid = (1 * 3 + 1) * 2, 12 + (3 * 6 + 3) * 2
    expected = {top, top + 1, mid, mid + 1}
    assert set(torch.nonzero(flags[:, 0])[:, 0].tolist()) == expected


def test_grid_assigner_rules():
    gen = YOLOAnchorGenerator(strides=(32, ), base_sizes=[[(32, 32), (64, 16)]])
    sizes = [(2, 2)]
    priors = gen.grid_priors(sizes)[0]
    gt = torch.tensor([[8., 8, 40, 40]])  # centre (24, 24) in cell (0, 0)
    assigned = GridAssigner(0.5, 0.5).assign(priors, gen.responsible_flags(sizes, gt), gt)
    # Anchor 0 of cell (0, 0) ([0, 0, 32, 32]) has the best IoU among the responsible.
    assert assigned[0] == 1
    assert (assigned[1:] == 0).all()  # the rest overlap by < 0.5: negative
    # A non-responsible anchor with IoU >= neg_iou_thr is ignored (-1).
    gt2 = torch.tensor([[0., 0, 33, 33]])  # centre (16.5, 16.5): cell (0, 0)
    pri2 = torch.cat([priors, torch.tensor([[0., 0, 32, 32]])])
    flags2 = torch.cat([gen.responsible_flags(sizes, gt2), torch.zeros(1, 1, dtype=torch.bool)])
    a2 = GridAssigner(0.5, 0.5).assign(pri2, flags2, gt2)
    assert a2[0] == 1 and a2[-1] == -1
    # No boxes: everything is negative.
    assert (GridAssigner().assign(priors, torch.zeros(8, 0, dtype=torch.bool),
                                  torch.zeros(0, 4)) == 0).all()


@pytest.mark.parametrize('tanh', [False, True])
def test_bbox_coder_round_trip_and_hand_values(tanh):
    coder = YOLOBBoxCoder(tanh=tanh, wh_range=4.0)
    prior = torch.tensor([[0., 0, 32, 32]])
    stride = torch.tensor([32.])
    gt = torch.tensor([[8., 4, 40, 52]])  # centre (24, 28), size 32 x 48
    xy, wh = coder.encode(prior, gt, stride)
    if tanh:
        np.testing.assert_allclose(xy.numpy(), [[(8 / 32 + 1) / 2, (12 / 32 + 1) / 2]],
                                   rtol=1e-6)
        np.testing.assert_allclose(wh.numpy(), [[0.0, math.log(1.5) / math.log(4)]], atol=1e-6)
        raw_xy = torch.atanh(2 * xy - 1)
        raw_wh = torch.atanh(wh)
    else:
        np.testing.assert_allclose(xy.numpy(), [[0.75, 12 / 32 + 0.5]], rtol=1e-6)
        np.testing.assert_allclose(wh.numpy(), [[0.0, math.log(1.5)]], atol=1e-6)
        raw_xy = torch.logit(xy)
        raw_wh = wh
    # The losses compare sigmoid(xy_logits(raw)) with xy and wh_values(raw) with wh.
    np.testing.assert_allclose(torch.sigmoid(coder.xy_logits(raw_xy)).numpy(), xy.numpy(),
                               atol=1e-6)
    np.testing.assert_allclose(coder.wh_values(raw_wh).numpy(), wh.numpy(), atol=1e-6)
    decoded = coder.decode(prior, torch.cat([raw_xy, raw_wh], 1), stride)
    np.testing.assert_allclose(decoded.numpy(), gt.numpy(), atol=1e-3)


def test_vector_codec():
    codec = RotationVectorCodec(full_range=True)
    angles = np.array([[170.0, 20.0, -10.0], [-120.0, -35.0, 25.0]])
    rot = torch.as_tensor(euler_to_matrix(angles), dtype=torch.float64)
    enc = codec.encode(rot)
    assert enc.shape == (2, 9)
    # The first three numbers are the first column (the head's x axis).
    np.testing.assert_allclose(enc[:, :3].numpy(), rot[:, :, 0].numpy())
    dec_rot, dec_ang = codec.decode(enc)
    np.testing.assert_allclose(dec_rot.numpy(), rot.numpy(), atol=1e-9)
    np.testing.assert_allclose(dec_ang.numpy(), angles, atol=1e-6)
    # A noisy, non-orthogonal prediction decodes to its SVD projection, a rotation.
    noisy = enc + 0.1 * torch.randn_like(enc)
    r, _ = codec.decode(noisy)
    np.testing.assert_allclose(r.numpy(), project_to_rotation(codec.to_matrix(noisy)).numpy(),
                               atol=1e-9)
    np.testing.assert_allclose(torch.det(r).numpy(), 1.0, atol=1e-9)
    empty_r, empty_a = codec.decode(torch.zeros(0, 9))
    assert empty_r.shape == (0, 3, 3) and empty_a.shape == (0, 3)
