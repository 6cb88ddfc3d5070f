"""Hand-computed values of Multitask-Net's losses: YOLO box terms, vector MSE, orthogonality."""

import math

import numpy as np
import pytest
import torch

from headpose.models.losses import (
    MSELoss,
    OrthogonalityLoss,
    SigmoidBCELoss,
    SquaredErrorLoss,
    VectorMSELoss,
)
from headpose.structures import euler_to_matrix


def test_sigmoid_bce_hand_values():
    loss = SigmoidBCELoss(loss_weight=2.0)
    pred = torch.tensor([0.0, 2.0, -1.0])
    target = torch.tensor([0.75, 1.0, 0.0])
    bce = [math.log(2), -math.log(1 / (1 + math.exp(-2))), -math.log(1 - 1 / (1 + math.exp(1)))]
    assert loss(pred, target).item() == pytest.approx(2 * sum(bce), rel=1e-6)
    w = torch.tensor([1.0, 0.0, 1.0])
    assert loss(pred, target, weight=w, avg_factor=4).item() == pytest.approx(
        2 * (bce[0] + bce[2]) / 4, rel=1e-6)
    # Nothing selected (an image without heads): exactly zero, with a gradient path.
    pred.requires_grad_(True)
    zero = loss(pred, target, weight=torch.zeros(3))
    assert zero.item() == 0.0
    zero.backward()


def test_squared_error_hand_values():
    loss = SquaredErrorLoss(loss_weight=2.0)
    pred = torch.tensor([[0.5, -0.5], [1.0, 3.0]])
    target = torch.tensor([[0.0, 0.0], [0.0, 1.0]])
    assert loss(pred, target).item() == pytest.approx(2 * (0.25 + 0.25 + 1 + 4))
    assert loss(pred, target, weight=torch.tensor([[1.0], [0.0]]), avg_factor=2).item() == \
        pytest.approx(2 * 0.5 / 2)
    with pytest.raises(ValueError, match='shape'):
        loss(pred, target[:1])


def test_vector_mse_hand_values():
    # Ground truth yaw 90: columns x = (0, 0, 1), y = (0, 1, 0), z = (-1, 0, 0).
    rot = euler_to_matrix(np.array([90.0, 0.0, 0.0]))
    np.testing.assert_allclose(rot, [[0, 0, -1], [0, 1, 0], [1, 0, 0]], atol=1e-12)
    target = torch.as_tensor(rot.T.reshape(1, 9), dtype=torch.float32)
    pred = torch.tensor([[1.0, 0, 0, 0, 1, 0, 0, 0, 1]])  # identity: x and z wrong, y right
    # Eq. 2 sums over a vector's coordinates, eq. 4 over the vectors:
    # x: (1-0)^2 + 0 + (0-1)^2 = 2, y: 0, z: (0+1)^2 + 0 + (1-0)^2 = 2 -> 4.
    assert VectorMSELoss()(pred, target).item() == pytest.approx(4.0, rel=1e-6)
    # The former normalisation (mean over coordinates): 4 / 3.
    assert VectorMSELoss(coordinates='mean')(pred, target).item() == \
        pytest.approx(4 / 3, rel=1e-6)
    assert VectorMSELoss(loss_weight=0.5)(target, target).item() == 0.0
    # Two heads (4 and 0): the mean over heads.
    both = VectorMSELoss()(torch.cat([pred, target]), torch.cat([target, target]))
    assert both.item() == pytest.approx(2.0, rel=1e-6)
    # Per image: the per-head terms (4 and 0) summed and divided by avg_factor.
    per_image = VectorMSELoss()(torch.cat([pred, target]), torch.cat([target, target]),
                                avg_factor=4)
    assert per_image.item() == pytest.approx(1.0, rel=1e-6)
    # Unequal coordinates: v'_x = (0.5, 0, 0) against (0, 0, 1): 0.25 + 0 + 1 = 1.25.
    half = torch.tensor([[0.5, 0, 0, 0, 1, 0, -1, 0, 0]])
    assert VectorMSELoss()(half, target).item() == pytest.approx(1.25, rel=1e-6)
    empty = VectorMSELoss()(torch.zeros(0, 9, requires_grad=True), torch.zeros(0, 9))
    assert empty.item() == 0.0 and empty.requires_grad
    with pytest.raises(ValueError, match='coordinates'):
        VectorMSELoss(coordinates='max')


def test_orthogonality_hand_values():
    orth = OrthogonalityLoss(loss_weight=1.0)
    assert orth(torch.tensor([[1.0, 0, 0, 0, 2, 0, 0, 0, 3]])).item() == 0.0
    # v1 = (1, 1, 0), v2 = (0, 1, 0), v3 = (1, 0, 1): v1.v2 = 1, v2.v3 = 0, v3.v1 = 1.
    # Eq. 3 sums over i != j (ordered): (1 + 1) + (0 + 0) + (1 + 1) = 4.
    pred = torch.tensor([[1.0, 1, 0, 0, 1, 0, 1, 0, 1]])
    assert orth(pred).item() == pytest.approx(4.0)
    assert OrthogonalityLoss(pairs='unordered')(pred).item() == pytest.approx(2.0)
    # v1 = (2, 1, 0), v2 = (1, 3, 0), v3 = (0, 1, 1): dots 5, 3, 1 -> 2 * (25 + 9 + 1) = 70.
    assert orth(torch.tensor([[2.0, 1, 0, 1, 3, 0, 0, 1, 1]])).item() == pytest.approx(70.0)
    assert orth(torch.cat([pred, torch.eye(3).reshape(1, 9)])).item() == pytest.approx(2.0)
    assert orth(torch.cat([pred, pred]), avg_factor=1).item() == pytest.approx(8.0)
    assert orth(torch.zeros(0, 9)).item() == 0.0
    with pytest.raises(ValueError, match='pairs'):
        OrthogonalityLoss(pairs='all')


def test_euler_mse_hand_values():
    # One image (images_per_sample=1): eq. 4's squared L2 norm over the three angles.
    pred = torch.tensor([[30.0, 10.0, -20.0]]) / 90
    assert MSELoss(images_per_sample=1)(pred, torch.zeros(1, 3)).item() == pytest.approx(
        1 / 9 + 1 / 81 + 4 / 81, rel=1e-6)
