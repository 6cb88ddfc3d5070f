"""Partial labels in RankPose's losses: hand-computed weighted MSE and ranking."""

import pytest
import torch

from headpose.models.losses import MSELoss, PairwiseRankingLoss


def test_mse_counts_known_angles_only():
    pred = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    target = torch.zeros(2, 3)
    weight = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.5, 0.0]])
    # sum of w * e^2 = 1 + 9 + 0.5 * 25 = 22.5; the two rows are one pair: / 1 sample
    assert MSELoss()(pred, target, weight).item() == pytest.approx(22.5)
    # 'mean': over the 6 numbers, whatever their weights
    assert MSELoss(reduction='mean')(pred, target, weight).item() == pytest.approx(22.5 / 6)
    # weights of one: the unweighted loss
    assert MSELoss()(pred, target, torch.ones(2, 3)).item() == \
        pytest.approx(MSELoss()(pred, target).item())


def test_mse_weight_shape_is_checked():
    with pytest.raises(ValueError, match='one shape'):
        MSELoss()(torch.zeros(2, 3), torch.zeros(2, 3), torch.ones(2, 6))


def test_ranking_ranks_only_along_angles_both_images_know():
    # one pair; labels say a > b in every angle, predictions say the opposite by 1, 2, 3
    pred_a, pred_b = torch.tensor([[0.0, 0.0, 0.0]]), torch.tensor([[1.0, 2.0, 3.0]])
    target_a, target_b = torch.tensor([[5.0, 5.0, 5.0]]), torch.zeros(1, 3)
    loss = PairwiseRankingLoss()
    assert loss(pred_a, pred_b, target_a, target_b).item() == pytest.approx(6.0)
    # yaw known by both, pitch by a only, roll by both at half weight: 1 + 0 + 3 * 0.5
    w_a = torch.tensor([[1.0, 1.0, 1.0]])
    w_b = torch.tensor([[1.0, 0.0, 0.5]])
    assert loss(pred_a, pred_b, target_a, target_b, w_a, w_b).item() == pytest.approx(2.5)
    with pytest.raises(ValueError, match='weights'):
        loss(pred_a, pred_b, target_a, target_b, torch.ones(1, 2), w_b)
