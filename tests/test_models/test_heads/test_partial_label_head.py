"""Partial labels through RankPoseHead and the codecs: what is unknown is not trained on."""

import pytest
import torch
from mmengine.structures import InstanceData

from headpose.models.heads import RankPoseHead
from headpose.models.task_modules.codecs import CombinedCodec, EulerCodec, HeadMotionCodec
from headpose.structures import HeadPoseDataSample, euler_to_matrix


def samples(angles, weights, paired=True):
    out = []
    n = len(angles)
    for i, (a, w) in enumerate(zip(angles, weights)):
        s = HeadPoseDataSample(metainfo=dict(pair_role=int(i >= n // 2)) if paired else {})
        s.gt_instances = InstanceData(
            rotations=torch.as_tensor(euler_to_matrix(torch.tensor(a, dtype=torch.float64)),
                                      dtype=torch.float32)[None])
        if w is not None:
            s.gt_instances.angle_weights = torch.tensor([w], dtype=torch.float32)
        out.append(s)
    return out


def test_codecs_map_angle_weights_onto_their_outputs():
    w = torch.tensor([[1.0, 0.0, 0.5]])
    torch.testing.assert_close(EulerCodec().encode_weights(w), w)
    # every head-motion output depends on all three angles: the smallest weight
    torch.testing.assert_close(HeadMotionCodec().encode_weights(w), torch.zeros(1, 3))
    combined = CombinedCodec([dict(type='EulerCodec'), dict(type='HeadMotionCodec')])
    torch.testing.assert_close(combined.encode_weights(w),
                               torch.tensor([[1.0, 0.0, 0.5, 0.0, 0.0, 0.0]]))


def head_with_outputs(outputs):
    """A linear head whose outputs are ``outputs`` whatever the (zero) feature."""
    head = RankPoseHead(in_channels=2, output_transform='linear',
                        loss=dict(type='MSELoss', loss_weight=1.0),
                        loss_rank=dict(type='PairwiseRankingLoss', loss_weight=1.0))
    with torch.no_grad():
        head.fc.weight.zero_()
        head.fc.bias.copy_(torch.tensor(outputs))
    return head


def test_head_losses_hand_computed_with_unknown_angles():
    # every image predicts (10, 10, 10); two pairs
    head = head_with_outputs([10.0, 10.0, 10.0])
    angles = [[0.0, 0.0, 0.0], [20.0, 30.0, 40.0], [20.0, 20.0, 20.0], [0.0, 0.0, 0.0]]
    weights = [[1, 1, 1], [1, 0, 0], [1, 0, 0], [1, 1, 1]]
    losses = head.loss((torch.zeros(4, 2), ), samples(angles, weights))
    # squared errors of the known angles: 300 + 100 + 100 + 300 = 800, over 2 pairs
    assert losses['loss_mse'].item() == pytest.approx(400.0)
    # equal predictions put no pair in the wrong order
    assert losses['loss_rank'].item() == pytest.approx(0.0)
    # mean |error| of the known numbers: (30 + 10 + 10 + 30) / 8
    assert losses['mae'].item() == pytest.approx(10.0)


def test_ranking_through_the_head_skips_angles_one_image_lacks():
    head = head_with_outputs([0.0, 0.0, 0.0])
    with torch.no_grad():
        head.fc.weight.copy_(torch.eye(3, 2))
    # one pair: image a above b in yaw and pitch by its labels; the predictions (the
    # features through W = [[1, 0], [0, 1], [0, 0]]) put a below b by 1 and 2
    feats = torch.tensor([[0.0, 0.0], [1.0, 2.0]])
    angles = [[5.0, 5.0, 0.0], [0.0, 0.0, 0.0]]
    full = head.loss((feats, ), samples(angles, [None, None]))
    assert full['loss_rank'].item() == pytest.approx(3.0)
    part = head.loss((feats, ), samples(angles, [[1, 1, 1], [1, 0, 1]]))
    assert part['loss_rank'].item() == pytest.approx(1.0)  # pitch unknown to b: yaw only


def test_a_batch_mixing_partial_and_full_labels():
    head = head_with_outputs([10.0, 10.0, 10.0])
    angles = [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    losses = head.loss((torch.zeros(2, 2), ), samples(angles, [None, [0, 0, 1]]))
    # the first image has no weights (all known): 300; the second knows roll only: 100
    assert losses['loss_mse'].item() == pytest.approx(400.0)
    without = head.loss((torch.zeros(2, 2), ), samples(angles, [None, None]))
    assert without['loss_mse'].item() == pytest.approx(600.0)
