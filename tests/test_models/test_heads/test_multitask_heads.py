"""Hand-computed losses of YOLOV3Head and AggregationPoseHead, with and without heads."""

import math

import numpy as np
import pytest
import torch

from headpose.models.heads import AggregationPoseHead, YOLOV3Head
from headpose.registry import MODELS
from headpose.structures import euler_to_matrix
from headpose.testing.multitask_net import multihead_sample, pose_head_cfg

LOG2 = math.log(2)


def one_level_head(**kw) -> YOLOV3Head:
    """A head with one level (stride 32) of one 32 x 32 anchor, whose outputs are its bias."""
    head = YOLOV3Head(in_channels=(4, ), out_channels=(4, ), num_classes=1,
                      anchor_generator=dict(type='YOLOAnchorGenerator', strides=(32, ),
                                            base_sizes=[[(32, 32)]]), **kw)
    with torch.no_grad():
        head.preds[0].weight.zero_()
        head.preds[0].bias.copy_(torch.tensor([0.0, 0.0, 0.5, -0.5, 0.0, 0.0]))
    return head


def run(head, samples):
    maps, bridge = head([torch.randn(len(samples), 4, 2, 2)])  # a 64 x 64 input: 2 x 2 cells
    targets = head.get_targets(maps, samples)
    return maps, bridge, targets, head.loss(maps, targets)


def test_yolov3_head_losses_by_hand():
    head = one_level_head()
    # One head centred at (24, 24), 32 x 32: the anchor of cell (0, 0) is positive, the
    # three others are negatives (IoU < 0.5). Targets: xy 0.75, wh log(1) = 0.
    with_head = multihead_sample([[8, 8, 40, 40]], [[10, 0, 0]])
    _, bridge, targets, losses = run(head, [with_head])
    assert targets['pos'].tolist() == [[True, False, False, False]]
    assert targets['neg'].tolist() == [[False, True, True, True]]
    assert losses['loss_xy'].item() == pytest.approx(2.0 * 2 * LOG2, rel=1e-5)
    assert losses['loss_wh'].item() == pytest.approx(2.0 * (0.25 + 0.25), rel=1e-5)
    assert losses['loss_conf'].item() == pytest.approx(4 * LOG2, rel=1e-5)
    assert losses['loss_cls'].item() == pytest.approx(LOG2, rel=1e-5)
    assert bridge[0].shape == (1, 4, 2, 2)
    # A batch of that image and an image without heads: sums divided by 2 images.
    empty = multihead_sample(np.zeros((0, 4)), np.zeros((0, 3)))
    _, _, targets, losses = run(head, [with_head, empty])
    assert targets['pos'][1].sum() == 0 and targets['neg'][1].all()
    assert losses['loss_xy'].item() == pytest.approx(2.0 * 2 * LOG2 / 2, rel=1e-5)
    assert losses['loss_conf'].item() == pytest.approx((4 * LOG2 + 4 * LOG2) / 2, rel=1e-5)
    # Only images without heads: objectness loss only, all the others exactly 0.
    _, _, _, losses = run(head, [empty])
    assert losses['loss_conf'].item() == pytest.approx(4 * LOG2, rel=1e-5)
    assert losses['loss_xy'].item() == losses['loss_wh'].item() == losses['loss_cls'].item() == 0
    sum(losses.values()).backward()
    assert head.preds[0].bias.grad is not None


def test_yolov3_head_tanh_losses_by_hand():
    head = one_level_head(tanh_box=True)
    _, _, _, losses = run(head, [multihead_sample([[8, 8, 40, 40]], [[0, 0, 0]])])
    # tanh form: xy target (8 / 32 + 1) / 2 = 0.625 against sigmoid(2 * 0): still log 2 each;
    # wh target log(1) / log(4) = 0 against tanh(+-0.5).
    assert losses['loss_xy'].item() == pytest.approx(2.0 * 2 * LOG2, rel=1e-5)
    assert losses['loss_wh'].item() == pytest.approx(2.0 * 2 * math.tanh(0.5) ** 2, rel=1e-5)


def test_yolov3_head_predict_decodes_and_rescales():
    head = one_level_head(test_cfg=dict(conf_thr=0.0, score_thr=0.0, nms_iou=0.45))
    maps, _ = head([torch.zeros(1, 4, 2, 2)])
    meta = dict(img_shape=(64, 64), ori_shape=(128, 128), scale_factor=(0.5, 0.5),
                pad_param=np.array([0, 0, 0, 0]))
    res = head.predict(maps, [meta])[0]
    # Four anchors, each 32 * exp(0.5) x 32 * exp(-0.5) at its cell centre; none overlaps
    # another by more than 0.45, all kept, scores sigmoid(0) ** 2.
    assert len(res) == 4
    np.testing.assert_allclose(res.scores.numpy(), 0.25)
    w, h = 32 * math.exp(0.5), 32 * math.exp(-0.5)
    box = np.array([16 - w / 2, 16 - h / 2, 16 + w / 2, 16 + h / 2])
    box = np.clip(box, 0, 64) * 2  # clipped to the input, then back to the original
    assert any(np.allclose(b, box, atol=1e-3) for b in res.bboxes.numpy())
    assert res.anchor_inds.tolist() and set(res.anchor_inds.tolist()) == {0, 1, 2, 3}


def pose_head(representation: str) -> AggregationPoseHead:
    head = MODELS.build(pose_head_cfg(representation, in_channels=(4, ), box_channels=(4, ),
                                      num_anchors=1))
    with torch.no_grad():
        head.preds[0].weight.zero_()
        head.preds[0].bias.zero_()
    return head


def test_pose_head_vector_losses_by_hand():
    head = pose_head('vector')
    feats, box_feats = [torch.randn(2, 4, 2, 2)], [torch.randn(2, 4, 2, 2)]
    maps = head(feats, box_feats)
    assert maps[0].shape == (2, 9, 2, 2)
    samples = [multihead_sample([[8, 8, 40, 40]], [[90, 0, 0]]),
               multihead_sample(np.zeros((0, 4)), np.zeros((0, 3)))]
    pos = torch.zeros(2, 4, dtype=torch.bool)
    pos[0, 0] = True
    gt_index = torch.full((2, 4), -1)
    gt_index[0, 0] = 0
    targets = dict(pos=pos, gt_index=gt_index, num_imgs=2)
    losses = head.loss(maps, targets, samples)
    # Zero outputs against unit vectors: each vector's squared error is 1 (eq. 2), three
    # vectors: 3; one head in a batch of two images: 3 / 2.
    assert losses['loss_pose'].item() == pytest.approx(1.5, rel=1e-6)
    assert losses['loss_orth'].item() == 0.0
    # Outputs = the identity's columns against yaw 90: x and z wrong -> (2 + 2) / 2.
    with torch.no_grad():
        head.preds[0].bias.copy_(torch.eye(3).reshape(9))
    losses = head.loss(head(feats, box_feats), targets, samples)
    assert losses['loss_pose'].item() == pytest.approx(4 / 2, rel=1e-6)
    # No positive anchor in the batch: zero, and differentiable.
    none = head.loss(head(feats, box_feats), dict(targets, pos=torch.zeros_like(pos)), samples)
    assert none['loss_pose'].item() == 0.0 and none['loss_pose'].requires_grad


def test_pose_head_refuses_partial_labels():
    head = pose_head('vector')
    feats, box_feats = [torch.randn(1, 4, 2, 2)], [torch.randn(1, 4, 2, 2)]
    sample = multihead_sample([[8, 8, 40, 40]], [[30, 0, 0]])
    sample.gt_instances.angle_weights = torch.tensor([[1.0, 0.0, 0.0]])
    pos = torch.zeros(1, 4, dtype=torch.bool)
    pos[0, 0] = True
    targets = dict(pos=pos, gt_index=torch.zeros(1, 4, dtype=torch.long), num_imgs=1)
    with pytest.raises(NotImplementedError, match='partial labels'):
        head.loss(head(feats, box_feats), targets, [sample])
    sample.gt_instances.angle_weights = torch.ones(1, 3)  # all known: trained as before
    assert head.loss(head(feats, box_feats), targets, [sample])['loss_pose'].item() > 0


def test_pose_head_euler_losses_and_decoding():
    head = pose_head('euler')
    assert head.num_outputs == 3
    maps = head([torch.randn(1, 4, 2, 2)], [torch.randn(1, 4, 2, 2)])
    pos = torch.tensor([[False, True, False, False]])
    gt_index = torch.tensor([[-1, 0, -1, -1]])
    samples = [multihead_sample([[8, 8, 40, 40]], [[30, 10, -20]])]
    losses = head.loss(maps, dict(pos=pos, gt_index=gt_index, num_imgs=1), samples)
    # Squared errors of the angles in units of 90 degrees, summed: 1/9 + 1/81 + 4/81.
    assert losses['loss_pose'].item() == pytest.approx(1 / 9 + 1 / 81 + 4 / 81, rel=1e-5)
    assert 'loss_orth' not in losses
    # Decoding: outputs are in units of 90 degrees.
    with torch.no_grad():
        head.preds[0].bias.copy_(torch.tensor([2.0, 0.5, -0.25]))
    from mmengine.structures import InstanceData
    inst = InstanceData()
    inst.anchor_inds = torch.tensor([2])
    out = head.predict(head([torch.zeros(1, 4, 2, 2)], [torch.zeros(1, 4, 2, 2)]), [inst])[0]
    np.testing.assert_allclose(out.poses.numpy(), [[180.0, 45.0, -22.5]], atol=1e-4)
    np.testing.assert_allclose(out.rotations.numpy(), euler_to_matrix(np.array(
        [[180.0, 45.0, -22.5]])), atol=1e-5)
    # Orthogonality needs the 9 vector outputs; the codec must be a registered one.
    with pytest.raises(ValueError, match='loss_orth needs the 9 outputs'):
        AggregationPoseHead(codec=dict(type='EulerCodec'))
    with pytest.raises(KeyError, match='QuaternionCodec'):
        AggregationPoseHead(codec=dict(type='QuaternionCodec'))


def test_pose_head_without_aggregation_ignores_box_features():
    head = AggregationPoseHead(in_channels=(4, ), box_channels=(4, ), num_anchors=1,
                               aggregate=False)
    assert head.preds[0].in_channels == 4
    assert head([torch.randn(1, 4, 2, 2)])[0].shape == (1, 9, 2, 2)
    with pytest.raises(ValueError, match='features'):
        AggregationPoseHead(in_channels=(4, ), box_channels=(4, ))([torch.randn(1, 4, 2, 2)])


def test_responsible_anchors_train_the_pose_at_every_level():
    # Two levels of one anchor: a head centred in cell (0, 0) of both.
    box = YOLOV3Head(in_channels=(4, 4), out_channels=(4, 4), num_classes=1,
                     anchor_generator=dict(type='YOLOAnchorGenerator', strides=(32, 16),
                                           base_sizes=[[(32, 32)], [(8, 8)]]))
    maps, _ = box([torch.randn(1, 4, 2, 2), torch.randn(1, 4, 4, 4)])
    targets = box.get_targets(maps, [multihead_sample([[2, 2, 26, 26]], [[30, 0, 0]])])
    # Box positives: only the best anchor (stride 32, IoU 0.56); responsible: both cells.
    assert torch.nonzero(targets['pos'][0])[:, 0].tolist() == [0]
    assert torch.nonzero(targets['resp_index'][0] >= 0)[:, 0].tolist() == [0, 4]
    head = AggregationPoseHead(in_channels=(4, 4), box_channels=(4, 4), num_anchors=1,
                               train_anchors='responsible')
    with torch.no_grad():
        for conv in head.preds:
            conv.weight.zero_()
            conv.bias.zero_()
    pose_maps = head([torch.randn(1, 4, 2, 2), torch.randn(1, 4, 4, 4)],
                     [torch.randn(1, 4, 2, 2), torch.randn(1, 4, 4, 4)])
    losses = head.loss(pose_maps, targets, [multihead_sample([[2, 2, 26, 26]], [[30, 0, 0]])])
    assert losses['loss_pose'].item() == pytest.approx(6.0, rel=1e-6)  # two anchors, 3 each
    with pytest.raises(ValueError, match='train_anchors'):
        AggregationPoseHead(train_anchors='all')


def test_predict_gives_each_detection_the_anchors_of_its_centre_cell():
    # Two levels: stride 32 (2 x 2 cells at a 64 x 64 input) and 16 (4 x 4), one anchor each.
    head = YOLOV3Head(in_channels=(4, 4), out_channels=(4, 4), num_classes=1,
                      anchor_generator=dict(type='YOLOAnchorGenerator', strides=(32, 16),
                                            base_sizes=[[(32, 32)], [(16, 16)]]),
                      test_cfg=dict(conf_thr=0.0, score_thr=0.0, nms_iou=0.0, max_per_img=2))
    with torch.no_grad():
        for pred in head.preds:
            pred.weight.zero_()
            pred.bias.zero_()
        # the top-left anchor of the stride-32 level is by far the most confident
        head.preds[0].bias[4] = 5.0
    maps, _ = head([torch.zeros(1, 4, 2, 2), torch.zeros(1, 4, 4, 4)])
    res = head.predict(maps, [dict(img_shape=(64, 64))], rescale=False)[0]
    assert res.resp_anchors.shape == (len(res), 4 + 16)
    # the first detection: the 32 x 32 box centred at (16, 16): cell 0 of level 0 and
    # cell (1, 1) = 5 of level 1 (index 4 + 5); rows never share an anchor
    assert res.anchor_inds[0].item() == 0
    assert res.resp_anchors[0].nonzero()[:, 0].tolist() == [0, 4 + 5]
    assert (res.resp_anchors.sum(0) <= 1).all()


def test_pose_head_responsible_test_anchors_average_then_project():
    from mmengine.structures import InstanceData
    head = AggregationPoseHead(in_channels=(4, ), box_channels=(4, ), num_anchors=1,
                               test_anchors='responsible')
    rot_a = euler_to_matrix(np.array([20.0, 10.0, 0.0]))
    rot_b = euler_to_matrix(np.array([40.0, -10.0, 6.0]))
    maps = torch.zeros(1, 9, 2, 2)
    # vector outputs are R's columns, flattened as R.T (RotationVectorCodec)
    maps[0, :, 0, 0] = torch.as_tensor(rot_a.T.reshape(9), dtype=torch.float32)
    maps[0, :, 0, 1] = torch.as_tensor(rot_b.T.reshape(9), dtype=torch.float32)
    inst = InstanceData()
    inst.anchor_inds = torch.tensor([0, 3])
    inst.resp_anchors = torch.tensor([[True, True, False, False], [False, False, False, False]])
    out = head.predict([maps], [inst])[0]
    # the nearest rotation to the mean of two rotations (SVD), computed with numpy
    u, _, vt = np.linalg.svd((rot_a + rot_b) / 2)
    np.testing.assert_allclose(out.rotations[0].numpy(), u @ vt, atol=1e-5)
    # a detection without responsible anchors keeps its own anchor's output (zeros here:
    # the codec's projection of the zero matrix is some rotation; just not rot_a or rot_b)
    assert not np.allclose(out.rotations[1].numpy(), u @ vt, atol=1e-3)
    with pytest.raises(ValueError, match='needs an averageable codec'):
        AggregationPoseHead(codec=dict(type='EulerCodec'), loss_orth=None,
                            test_anchors='responsible')
    with pytest.raises(ValueError, match='test_anchors must be'):
        AggregationPoseHead(test_anchors='all')


def test_pose_head_flip_test_merges_mirrored_anchors_by_the_flip_rule():
    """Cell x of the flipped pass's maps is the mirror of cell W-1-x; its output is
    mapped back by the flip rule (S R S, S = diag(-1, 1, 1); yaw, roll -> -yaw, -roll)
    and averaged with the anchor's own output."""
    from mmengine.structures import InstanceData
    s = np.diag([-1.0, 1.0, 1.0])
    rot_a = euler_to_matrix(np.array([30.0, 10.0, 5.0]))
    rot_c = euler_to_matrix(np.array([50.0, -4.0, 15.0]))  # the flipped pass's estimate
    head = AggregationPoseHead(in_channels=(4, ), box_channels=(4, ), num_anchors=1)
    maps, flipped = torch.zeros(1, 9, 1, 2), torch.zeros(1, 9, 1, 2)
    maps[0, :, 0, 0] = torch.as_tensor(rot_a.T.reshape(9), dtype=torch.float32)
    # the head in cell 0 appears in cell 1 of the mirrored image, with pose S R S
    flipped[0, :, 0, 1] = torch.as_tensor((s @ rot_c @ s).T.reshape(9), dtype=torch.float32)
    inst = InstanceData()
    inst.anchor_inds = torch.tensor([0])
    out = head.predict([maps], [inst], flipped_maps=[flipped])[0]
    u, _, vt = np.linalg.svd((rot_a + rot_c) / 2)
    np.testing.assert_allclose(out.rotations[0].numpy(), u @ vt, atol=1e-5)
    # without the flipped maps: the anchor's own output
    alone = head.predict([maps], [InstanceData(anchor_inds=torch.tensor([0]))])[0]
    np.testing.assert_allclose(alone.rotations[0].numpy(), rot_a, atol=1e-5)

    # Euler outputs (units of angle_unit = 90 degrees) are merged on the circle.
    head = MODELS.build(pose_head_cfg('euler', in_channels=(4, ), box_channels=(4, ),
                                      num_anchors=1))
    maps, flipped = torch.zeros(1, 3, 1, 2), torch.zeros(1, 3, 1, 2)
    maps[0, :, 0, 0] = torch.tensor([179.0, 10.0, 6.0]) / 90
    flipped[0, :, 0, 1] = torch.tensor([179.0, 20.0, -2.0]) / 90  # back: (-179, 20, 2)
    out = head.predict([maps], [InstanceData(anchor_inds=torch.tensor([0]))],
                       flipped_maps=[flipped])[0]
    yaw, pitch, roll = out.poses[0].tolist()
    assert abs(abs(yaw) - 180.0) < 1e-3  # 179 and -179 meet at 180, not at 0
    assert pitch == pytest.approx(15.0, abs=1e-4) and roll == pytest.approx(4.0, abs=1e-4)
    with pytest.raises(ValueError, match='flipped maps give outputs of shape'):
        head.predict([maps], [InstanceData(anchor_inds=torch.tensor([0]))],
                     flipped_maps=[flipped[..., :1]])


def test_multitask_head_couples_the_branches_on_its_own():
    """MultiTaskHead alone: the pose branch learns on the box branch's assignment, the
    losses are weighted by alpha, and predictions carry boxes and poses (no go-betweens)."""
    from headpose.testing.multitask_net import tiny_multitask_cfg
    torch.manual_seed(0)
    cfg = tiny_multitask_cfg(alpha=0.25)['head']
    head = MODELS.build(cfg)
    head.eval()
    feats = [torch.randn(1, 64, 2, 2), torch.randn(1, 32, 4, 4), torch.randn(1, 16, 8, 8)]
    samples = [multihead_sample([[8, 8, 40, 44]], [[120, 10, -5]])]
    losses = head.loss(feats, samples)
    box_maps, box_feats = head.bbox_head(feats)
    targets = head.bbox_head.get_targets(box_maps, samples)
    assert targets['pos'].sum() > 0
    pose = head.pose_head.loss(head.pose_head(feats, box_feats), targets, samples)
    box = head.bbox_head.loss(box_maps, targets)
    assert losses['loss_pose'].item() == pytest.approx(0.75 * pose['loss_pose'].item())
    assert losses['loss_conf'].item() == pytest.approx(0.25 * box['loss_conf'].item())
    assert losses['pose_mae'].item() == pytest.approx(pose['pose_mae'].item())
    head.bbox_head.test_cfg.update(conf_thr=0.0, score_thr=0.0)
    with torch.no_grad():
        res = head.predict(feats, samples)[0]
    assert {'bboxes', 'scores', 'rotations', 'poses'} <= set(res.keys())
    assert 'anchor_inds' not in res and 'resp_anchors' not in res
    with pytest.raises(ValueError, match='multiple of the strides'):
        head.check_flip_width(48)
