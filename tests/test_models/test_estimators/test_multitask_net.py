"""Tests of MultiTaskNet: its modes, alpha weighting, a frozen pose head, and a short training."""

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

from headpose.datasets import SynthHeadsScenesDataset
from headpose.registry import MODELS
from headpose.testing.multitask_net import multihead_sample, tiny_multitask_cfg


def batch(n=2, size=64):
    rng = np.random.default_rng(0)
    samples = [multihead_sample([[8, 8, 30, 34], [34, 20, 60, 52]], [[10, 5, 0], [170, -20, 5]])
               for _ in range(n - 1)]
    samples.append(multihead_sample(np.zeros((0, 4)), np.zeros((0, 3))))  # no heads
    imgs = [torch.as_tensor(rng.integers(0, 255, (3, size, size)), dtype=torch.uint8)
            for _ in range(n)]
    return dict(inputs=imgs, data_samples=samples)


@pytest.mark.parametrize('representation,tanh', [('vector', False), ('euler', True)])
def test_modes(representation, tanh):
    model = MODELS.build(tiny_multitask_cfg(representation=representation, tanh_box=tanh))
    data = model.data_preprocessor(batch(), True)
    losses = model(**data, mode='loss')
    expected = {'loss_xy', 'loss_wh', 'loss_conf', 'loss_cls', 'loss_pose', 'pose_mae'}
    if representation == 'vector':
        expected.add('loss_orth')
    assert set(losses) == expected
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    total.backward()
    assert model.head.pose_head.preds[0].weight.grad is not None
    box_maps, pose_maps = model(data['inputs'], mode='tensor')
    assert [m.shape[1] for m in box_maps] == [18] * 3
    assert [m.shape[1] for m in pose_maps] == [3 * model.head.pose_head.num_outputs] * 3
    model.eval()
    model.head.bbox_head.test_cfg.update(conf_thr=0.0, score_thr=0.0)
    with torch.no_grad():
        out = model(**model.data_preprocessor(batch(), False), mode='predict')
    inst = out[0].pred_instances
    assert len(inst) > 0 and 'anchor_inds' not in inst
    assert inst.bboxes.shape[1] == 4 and inst.rotations.shape[1:] == (3, 3)
    assert inst.poses.shape[1] == 3 and inst.scores.shape == (len(inst), )
    np.testing.assert_allclose(torch.det(inst.rotations.double()).numpy(), 1.0, atol=1e-4)
    with pytest.raises(ValueError, match='mode'):
        model(data['inputs'], mode='nonsense')


def test_alpha_weights_and_frozen_pose_head():
    torch.manual_seed(0)
    a = MODELS.build(tiny_multitask_cfg(alpha=0.5))
    b = MODELS.build(tiny_multitask_cfg(alpha=0.8))
    b.load_state_dict(a.state_dict())
    a.eval(), b.eval()  # same batch statistics are not needed: norms use running stats
    data = a.data_preprocessor(batch(), True)
    la, lb = a(**data, mode='loss'), b(**data, mode='loss')
    assert lb['loss_conf'].item() == pytest.approx(la['loss_conf'].item() / 0.5 * 0.8, rel=1e-5)
    assert lb['loss_pose'].item() == pytest.approx(la['loss_pose'].item() / 0.5 * 0.2, rel=1e-5)
    assert lb['pose_mae'].item() == pytest.approx(la['pose_mae'].item(), rel=1e-5)
    for p in b.head.pose_head.parameters():
        p.requires_grad = False
    assert not b.head.pose_trainable
    frozen = b(**data, mode='loss')
    assert set(frozen) == {'loss_xy', 'loss_wh', 'loss_conf', 'loss_cls'}
    with pytest.raises(ValueError, match='alpha'):
        MODELS.build(tiny_multitask_cfg(alpha=1.5))


@pytest.fixture
def one_thread():
    # Small convolutions run faster on one thread, and much faster on a busy machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_short_training_on_synthheads_scenes_lowers_the_loss(one_thread):
    torch.manual_seed(0)
    dataset = SynthHeadsScenesDataset(
        num_samples=6, seed=5, img_size=(64, 64), num_heads=(1, 2), head_scale=(0.45, 0.7),
        pipeline=[dict(type='LoadImage'), dict(type='LetterBox', scale=(64, 64)),
                  dict(type='PackHeadPoseInputs')])
    data = pseudo_collate([dataset[i] for i in range(6)])
    model = MODELS.build(tiny_multitask_cfg())
    optim = torch.optim.Adam(model.parameters(), lr=3e-3)
    history = []
    for _ in range(25):
        losses = model(**model.data_preprocessor(data, True), mode='loss')
        total = sum(v for k, v in losses.items() if k.startswith('loss'))
        optim.zero_grad()
        total.backward()
        optim.step()
        history.append((total.item(), losses['loss_pose'].item()))
    first, last = np.mean(history[:3], 0), np.mean(history[-3:], 0)
    assert last[0] < 0.5 * first[0], history
    assert last[1] < 0.5 * first[1], history


def test_init_weights_sets_a_low_objectness_prior():
    model = MODELS.build(tiny_multitask_cfg())
    model.init_weights()
    bias = model.head.bbox_head.preds[0].bias.view(3, -1)
    np.testing.assert_allclose(torch.sigmoid(bias[:, 4]).detach().numpy(), 0.01, atol=1e-3)
    assert model.head.pose_head.preds[0].weight.abs().max() < 0.1


def test_flip_test_merges_each_detection_with_its_mirrored_anchor():
    torch.manual_seed(0)
    model = MODELS.build(tiny_multitask_cfg(representation='vector'))
    model.eval()
    model.head.bbox_head.test_cfg.update(conf_thr=0.0, score_thr=0.0)
    data = model.data_preprocessor(batch(), False)
    inputs = data['inputs']
    with torch.no_grad():
        plain = model(inputs, [s.clone() for s in data['data_samples']], mode='predict')
        model.test_cfg = dict(flip_test=True)
        flip = model(inputs, [s.clone() for s in data['data_samples']], mode='predict')
        # by hand: each detection's anchor output and the mirrored anchor's output of the
        # flipped images, merged by the codec's flip rule
        box_maps, pose_maps = model(inputs, mode='tensor')
        _, flipped_maps = model(inputs.flip(-1), mode='tensor')
        metas = [s.metainfo for s in data['data_samples']]
        anchors = [r.anchor_inds for r in model.head.bbox_head.predict(box_maps, metas)]
    head = model.head.pose_head
    own, back = head._outputs(pose_maps), head._outputs([m.flip(-1) for m in flipped_maps])
    for i, (p, f) in enumerate(zip(plain, flip)):
        assert torch.equal(p.pred_instances.bboxes, f.pred_instances.bboxes)
        assert torch.equal(p.pred_instances.scores, f.pred_instances.scores)
        merged = head.codec.merge_flip(own[i][anchors[i]], back[i][anchors[i]])
        rotations, _ = head.codec.decode(merged)
        torch.testing.assert_close(f.pred_instances.rotations, rotations, atol=1e-5, rtol=0)
    assert not torch.allclose(plain[0].pred_instances.rotations,
                              flip[0].pred_instances.rotations, atol=1e-3)
    with pytest.raises(ValueError, match='multiple of the strides'):
        model(inputs[..., :48], data['data_samples'], mode='predict')
    # The estimator only routes: the head alone gives the same predictions.
    with torch.no_grad():
        feats = model.extract_feat(inputs)
        alone = model.head.predict(feats, data['data_samples'],
                                   flipped_feats=model.extract_feat(inputs.flip(-1)))
    for a, f in zip(alone, flip):
        torch.testing.assert_close(a.rotations, f.pred_instances.rotations)
    assert model.pose_codec is model.head.pose_head.codec
