"""Tests of RankPoseHead's output transforms (RankPose eq. 1-3), losses and decoding."""

import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData

from headpose.models.heads import RankPoseHead
from headpose.structures import HeadPoseDataSample, euler_to_matrix


def make_head(transform, rank=True):
    return RankPoseHead(in_channels=4, output_transform=transform,
                        loss_rank=dict(type='PairwiseRankingLoss', loss_weight=0.5)
                        if rank else None)


def test_transforms_hand_computed():
    feat = torch.tensor([[3.0, 0.0, 4.0, 0.0]])  # |F| = 5 -> F = (0.6, 0, 0.8, 0)
    w = torch.tensor([[1.0, 0, 0, 0], [0, 0, 2.0, 0], [0, 1.0, 0, 0]])  # columns -> unit rows
    cos = torch.tensor([[0.6, 0.8, 0.0]])
    for transform, expected in (
            ('cosine', 90.0 * cos),
            ('arccos', torch.rad2deg(torch.arccos(cos)) - 90.0)):
        head = make_head(transform)
        with torch.no_grad():
            head.fc.weight.copy_(w)
        torch.testing.assert_close(head((feat, )), expected)
    # arccos of 0.6 is 53.13 deg -> output -36.87
    head = make_head('arccos')
    with torch.no_grad():
        head.fc.weight.copy_(w)
    assert head((feat, ))[0, 0].item() == pytest.approx(math.degrees(math.acos(0.6)) - 90, abs=1e-4)
    linear = make_head('linear')
    with torch.no_grad():
        linear.fc.weight.copy_(w)
        linear.fc.bias.copy_(torch.tensor([1.0, 2.0, 3.0]))
    torch.testing.assert_close(linear((feat, )), F.linear(feat, w) + torch.tensor([1.0, 2, 3]))


def test_bounded_outputs():
    feats = (torch.randn(64, 4) * 100, )
    for transform in ('cosine', 'arccos'):
        out = make_head(transform)(feats)
        assert out.abs().max() <= 90.0


def samples(angles, paired):
    out = []
    for i, a in enumerate(angles):
        s = HeadPoseDataSample()
        s.gt_instances = InstanceData(rotations=torch.as_tensor(
            euler_to_matrix(torch.tensor(a)), dtype=torch.float32)[None])
        if paired:
            s.set_metainfo(dict(pair_role=int(i >= len(angles) // 2)))
        out.append(s)
    return out


def test_loss_pairs_and_errors():
    head = make_head('arccos')
    angles = [[10.0, 20.0, -5.0], [-30.0, 0.0, 15.0], [12.0, 25.0, -2.0], [-35.0, 5.0, 10.0]]
    feats = (torch.randn(4, 4, requires_grad=True), )
    losses = head.loss(feats, samples(angles, paired=True))
    assert set(losses) == {'loss_mse', 'loss_rank', 'mae'}
    preds = head(feats)
    targets = torch.tensor(angles)
    # Eq. 4 x beta: squared errors summed over angles and both images, mean over 2 pairs.
    torch.testing.assert_close(losses['loss_mse'], 0.5 * ((preds - targets) ** 2).sum() / 2,
                               atol=1e-3, rtol=1e-5)
    order = torch.sign(targets[:2] - targets[2:])
    expected_rank = 0.5 * torch.clamp(-order * (preds[:2] - preds[2:]), min=0).sum(1).mean()
    torch.testing.assert_close(losses['loss_rank'], expected_rank, atol=1e-4, rtol=1e-5)
    (losses['loss_mse'] + losses['loss_rank']).backward()
    assert feats[0].grad is not None and feats[0].grad.abs().sum() > 0
    with pytest.raises(ValueError, match='PairDataset'):
        head.loss(feats, samples(angles, paired=False))
    # MSE only: no pairs needed.
    assert set(make_head('cosine', rank=False).loss(feats, samples(angles, False))) == \
        {'loss_mse', 'mae'}


def test_predict_gives_one_instance_per_crop():
    head = make_head('cosine')
    out = head.predict((torch.randn(3, 4), ), samples([[0, 0, 0]] * 3, paired=False))
    assert len(out) == 3
    for inst in out:
        assert inst.poses.shape == (1, 3) and inst.rotations.shape == (1, 3, 3)
        torch.testing.assert_close(inst.rotations, euler_to_matrix(inst.poses))
    # A crop carries exactly one true head.
    two = samples([[0, 0, 0]], paired=False)
    two[0].gt_instances = InstanceData(rotations=torch.eye(3).repeat(2, 1, 1))
    with pytest.raises(ValueError, match=r'one ground-truth head per crop .*\[2\]'):
        head.loss((torch.randn(1, 4), ), two)


def test_bad_transform_name():
    with pytest.raises(ValueError, match='output_transform'):
        RankPoseHead(in_channels=4, output_transform='sigmoid')


def test_bounded_heads_reachable_set():
    """With orthonormal output weights, cos outputs satisfy sum (out / 90)^2 <= 1 and arccos
    outputs sum sin^2(out) <= 1: not every (yaw, pitch, roll) triple can be output."""
    q, _ = torch.linalg.qr(torch.randn(16, 3))
    feats = (torch.rand(256, 16) * 5, )
    for transform, to_unit in (('cosine', lambda o: o / 90.0),
                               ('arccos', lambda o: torch.sin(torch.deg2rad(o)))):
        head = RankPoseHead(in_channels=16, output_transform=transform, loss_rank=None)
        with torch.no_grad():
            head.fc.weight.copy_(q.T)
        norm2 = to_unit(head(feats)).pow(2).sum(1)
        assert norm2.max() <= 1.0 + 1e-4
    # e.g. yaw 70, pitch 30, roll 20 is out of the arccos head's reach
    assert sum(math.sin(math.radians(a))**2 for a in (70, 30, 20)) > 1


def test_head_motion_codec_reaches_a_nodding_profile_that_euler_cannot():
    """A profile that turns 80 and nods -20 is Euler (67.7, -64.5, -62.7): out of the
    cosine head's reach as Euler angles (sum (a / 90)^2 = 1.56 > 1 with orthonormal
    weights), in reach as head motion (0.84). With HeadMotionCodec the head's targets
    are (turn, nod, tilt) and its predictions decode to the Euler angles."""
    euler = [67.7, -64.5, -62.7]
    assert sum((a / 90.0) ** 2 for a in euler) > 1.5
    q, _ = torch.linalg.qr(torch.randn(16, 4, dtype=torch.float64))
    unit = torch.tensor([80.0, -20.0, 0.0], dtype=torch.float64) / 90.0
    # the unit feature whose cosines with the three weight rows are `unit`
    feat = q[:, :3] @ unit + math.sqrt(1.0 - unit.pow(2).sum().item()) * q[:, 3]
    head = RankPoseHead(in_channels=16, output_transform='cosine', loss_rank=None,
                        loss=dict(type='MSELoss', images_per_sample=1),
                        codec=dict(type='HeadMotionCodec'))
    with torch.no_grad():
        head.fc.weight.copy_(q[:, :3].T)
    feats = (feat[None].float(), )
    torch.testing.assert_close(head(feats), torch.tensor([[80.0, -20.0, 0.0]]),
                               atol=1e-3, rtol=0)
    pred = head.predict(feats, samples([[0, 0, 0]], paired=False))[0]
    torch.testing.assert_close(pred.poses, torch.tensor([euler]), atol=0.05, rtol=0)
    # trained on head motion: the Euler label's targets are (80, -20, 0), met here
    losses = head.loss(feats, samples([euler], paired=False))
    assert losses['mae'].item() < 0.05


def test_non_negative_features_cap_the_bounded_outputs_and_feat_norm_lifts_it():
    """A ReLU feature F >= 0 reaches at most cos(F, w) = |w+| / |w|: with w = (1, -1, 0, 0)
    every output stays within 90 / sqrt(2) = 63.64 degrees, whichever F. A BN1d before
    the output layer centres F (here running mean 0.5, var 0.25: F = (1, 0, 0.5, 0.5)
    becomes (1, -1, 0, 0)), and the same weight then gives (90, 0, 0) exactly."""
    w = torch.tensor([[1.0, -1.0, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0]])
    feats = torch.rand(4096, 4)
    feats[0] = torch.tensor([1.0, 0, 0, 0])  # the best non-negative feature for the yaw row
    for transform, cap in (('cosine', 90 / math.sqrt(2)), ('arccos', 45.0)):
        head = RankPoseHead(in_channels=4, output_transform=transform, loss_rank=None)
        with torch.no_grad():
            head.fc.weight.copy_(w)
        yaw = head((feats, ))[:, 0]
        assert yaw.abs().max().item() == pytest.approx(cap, abs=1e-3)

    head = RankPoseHead(in_channels=4, output_transform='cosine', loss_rank=None,
                        feat_norm_cfg=dict(type='BN1d'))
    assert isinstance(head.feat_norm, torch.nn.BatchNorm1d)
    with torch.no_grad():
        head.fc.weight.copy_(w)
        head.feat_norm.running_mean.fill_(0.5)
        head.feat_norm.running_var.fill_(0.25 - head.feat_norm.eps)
    head.eval()
    out = head((torch.tensor([[1.0, 0, 0.5, 0.5]]), ))
    torch.testing.assert_close(out, torch.tensor([[90.0, 0.0, 0.0]]))
    # the default head has no norm layer (the paper's eq. 2-3)
    assert RankPoseHead(in_channels=4).feat_norm is None


def test_flip_test_averages_with_the_flip_rule():
    head = make_head('linear')
    feats, flipped = (torch.randn(2, 4), ), (torch.randn(2, 4), )
    direct, mirrored = head(feats), head(flipped)
    out = head.predict(feats, samples([[0, 0, 0]] * 2, paired=False), flipped_feats=flipped)
    expected = (direct + mirrored * torch.tensor([-1.0, 1.0, -1.0])) / 2
    torch.testing.assert_close(torch.cat([i.poses for i in out]), expected.detach())


def test_estimator_flip_test_routes_flipped_inputs():
    from headpose.registry import MODELS
    from headpose.testing import demo_batch, tiny_rankpose_cfg
    cfg = tiny_rankpose_cfg()
    model = MODELS.build(dict(cfg, test_cfg=dict(flip_test=True))).eval()
    data = model.data_preprocessor(demo_batch(2, size=32), False)
    out = model(data['inputs'], data['data_samples'], mode='predict')
    with torch.no_grad():
        plain = model.head(model.extract_feat(data['inputs']))
        mirror = model.head(model.extract_feat(data['inputs'].flip(-1)))
    expected = (plain + mirror * torch.tensor([-1.0, 1.0, -1.0])) / 2
    poses = torch.cat([s.pred_instances.poses for s in out])
    torch.testing.assert_close(poses, expected)
    # The estimator adds each crop's box (the whole 32 x 32 input here) and score.
    assert out[0].pred_instances.bboxes.tolist() == [[0.0, 0.0, 32.0, 32.0]]
    assert out[0].pred_instances.scores.tolist() == [1.0]


def test_flip_test_with_a_head_that_cannot_is_refused_at_build():
    from mmengine.model import BaseModule

    from headpose.registry import MODELS
    from headpose.testing import tiny_rankpose_cfg

    @MODELS.register_module(force=True)
    class NoFlipHead(BaseModule):
        def __init__(self, in_channels):
            super().__init__()
            self.fc = torch.nn.Linear(in_channels, 3)

        def predict(self, feats, data_samples):
            return data_samples

    cfg = tiny_rankpose_cfg()
    cfg['head'] = dict(type='NoFlipHead', in_channels=cfg['head']['in_channels'])
    with pytest.raises(ValueError, match='NoFlipHead.predict.*flipped_feats.*flip_test=False'):
        MODELS.build(dict(cfg, test_cfg=dict(flip_test=True)))
    MODELS.build(dict(cfg, test_cfg=dict(flip_test=False)))  # builds
