"""Tests of the pairwise ranking loss (RankPose eq. 5-6) against hand-computed values."""

import pytest
import torch

from headpose.models.losses import MSELoss, PairwiseRankingLoss


def test_ranking_loss_hand_computed():
    loss = PairwiseRankingLoss(loss_weight=1.0)
    # pair 1: yaw order agrees (no cost); pitch order reversed by 3; roll labels equal (sign 0).
    # pair 2: yaw reversed by 2 (labels a < b, predictions a > b); pitch agrees; roll reversed 1.
    pred_a = torch.tensor([[10.0, 0.0, 5.0], [4.0, 1.0, 0.0]])
    pred_b = torch.tensor([[5.0, 3.0, -7.0], [2.0, 0.0, 1.0]])
    tgt_a = torch.tensor([[12.0, 4.0, 1.0], [0.0, 2.0, 3.0]])
    tgt_b = torch.tensor([[6.0, 1.0, 1.0], [1.0, -1.0, 0.0]])
    # pair 1: yaw max(0, -1*(5)) = 0; pitch max(0, -1*(-3)) = 3; roll sign 0 -> 0. Sum 3.
    # pair 2: yaw max(0, -(-1)*(2)) = 2; pitch max(0, -1*(1)) = 0; roll max(0, -1*(-1)) = 1. Sum 3.
    assert loss(pred_a, pred_b, tgt_a, tgt_b).item() == pytest.approx(3.0)
    assert PairwiseRankingLoss(loss_weight=0.5)(pred_a, pred_b, tgt_a, tgt_b).item() == \
        pytest.approx(1.5)


def test_ranking_loss_gradient_and_empty():
    loss = PairwiseRankingLoss()
    pred_a = torch.tensor([[0.0, 0.0, 0.0]], requires_grad=True)
    pred_b = torch.tensor([[1.0, -1.0, 0.0]])
    value = loss(pred_a, pred_b, torch.tensor([[1.0, 1.0, 1.0]]), torch.tensor([[0.0, 0, 0]]))
    value.backward()
    # Only the yaw term is active (a should be above b but is below): d/dpa = -1.
    assert value.item() == pytest.approx(1.0)
    assert pred_a.grad.tolist() == [[-1.0, 0.0, 0.0]]
    empty = torch.zeros(0, 3, requires_grad=True)
    assert loss(empty, empty, empty, empty).item() == 0.0
    with pytest.raises(ValueError, match='one shape'):
        loss(torch.zeros(2, 3), torch.zeros(1, 3), torch.zeros(2, 3), torch.zeros(2, 3))


def test_mse_loss_hand_computed():
    # Two pairs (N = 2), rows: first images of pairs 1 and 2, then their partners.
    pred = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    tgt = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, 6.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    # Eq. 4: pair 1: ||(1, 2, 3)||^2 + ||(0, 1, 0)||^2 = 14 + 1 = 15;
    # pair 2: ||(0, 0, -6)||^2 + ||(0, 0, 2)||^2 = 36 + 4 = 40; (15 + 40) / 2 = 27.5.
    assert MSELoss()(pred, tgt).item() == pytest.approx(27.5)
    # Eq. 7's beta = 0.5 weighs it.
    assert MSELoss(loss_weight=0.5)(pred, tgt).item() == pytest.approx(13.75)
    # The former normalisation: the mean over all 12 numbers, 55 / 12 (1/6 of eq. 4).
    assert MSELoss(reduction='mean')(pred, tgt).item() == pytest.approx(55 / 12)
    # Single-image samples: 55 / 4.
    assert MSELoss(images_per_sample=1)(pred, tgt).item() == pytest.approx(55 / 4)
    assert MSELoss()(torch.zeros(0, 3), torch.zeros(0, 3)).item() == 0.0
    with pytest.raises(ValueError, match='shape'):
        MSELoss()(torch.zeros(2, 3), torch.zeros(3, 3))
    with pytest.raises(ValueError, match='whole training samples'):
        MSELoss()(torch.zeros(3, 3), torch.zeros(3, 3))
    with pytest.raises(ValueError, match='reduction'):
        MSELoss(reduction='none')
