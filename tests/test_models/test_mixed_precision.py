"""Both models under bfloat16 autocast (the CPU's proxy for a GPU's float16): finite losses
and outputs close to float32, because the delicate operations run in float32."""

import copy

import numpy as np
import pytest
import torch

from headpose.registry import MODELS
from headpose.testing import demo_batch, tiny_rankpose_cfg
from headpose.testing.multitask_net import multihead_sample, tiny_multitask_cfg
from headpose.utils import register_all_modules

register_all_modules()


def multitask_batch():
    rng = np.random.default_rng(0)
    samples = [multihead_sample([[8, 8, 30, 34], [34, 20, 60, 52]],
                                [[10, 5, 0], [170, -20, 5]]) for _ in range(2)]
    imgs = [torch.as_tensor(rng.integers(0, 255, (3, 64, 64)), dtype=torch.uint8)
            for _ in samples]
    return dict(inputs=imgs, data_samples=samples)


def rankpose_model():
    torch.manual_seed(0)
    return MODELS.build(tiny_rankpose_cfg('arccos')), demo_batch(8, paired=True), \
        demo_batch(4)


def multitask_model():
    torch.manual_seed(0)
    return MODELS.build(tiny_multitask_cfg(representation='vector')), multitask_batch(), \
        multitask_batch()


def losses_and_preds(model, train_batch, test_batch, amp):
    torch.manual_seed(0)
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=amp):
        model.train()
        data = model.data_preprocessor(copy.deepcopy(train_batch), True)
        losses = model(**data, mode='loss')
        total = sum(v for k, v in losses.items() if 'loss' in k)
        total.backward()
        model.eval()
        with torch.no_grad():
            preds = model.test_step(copy.deepcopy(test_batch))
    return {k: v.detach() for k, v in losses.items()}, preds


def pred_rotations(preds):
    out = []
    for p in preds:
        if 'pred_instances' in p:
            out.append(p.pred_instances.rotations.float().reshape(-1, 3, 3))
        else:
            out.append(p.pred_rotation.float().reshape(-1, 3, 3))
    return torch.cat(out)


@pytest.mark.parametrize('build', [rankpose_model, multitask_model],
                         ids=['rankpose_r18', 'multitask_net'])
def test_bfloat16_autocast_matches_float32(build):
    model, train_batch, test_batch = build()
    ref_model = copy.deepcopy(model)
    ref_losses, ref_preds = losses_and_preds(ref_model, train_batch, test_batch, amp=False)
    losses, preds = losses_and_preds(model, train_batch, test_batch, amp=True)
    for key, ref in ref_losses.items():
        if not key.startswith('loss'):
            continue  # logged metrics (pose_mae)
        # The losses are computed in float32 (not rounded to bfloat16's 3 digits) ...
        assert losses[key].dtype == torch.float32, key
        assert torch.isfinite(losses[key]).all(), (key, losses[key])
        # ... and differ from float32's by the network's own rounding (bfloat16 keeps an
        # 8-bit mantissa through 20 to 50 layers of a randomly initialised network): under
        # 10%, but up to 20% for the size loss (an exp of rounded maps) and 50% for the
        # orthogonality loss (squared dot products of rounded, nearly orthogonal vectors)
        # over seeds 0 to 2.
        rtol = dict(loss_wh=0.3, loss_orth=0.6).get(key, 0.12)
        torch.testing.assert_close(losses[key], ref, rtol=rtol, atol=0.05, msg=key)
    for p in model.parameters():
        assert p.grad is None or torch.isfinite(p.grad).all()
    rot, ref_rot = pred_rotations(preds), pred_rotations(ref_preds)
    assert rot.dtype == torch.float32 and torch.isfinite(rot).all()
    assert rot.shape == ref_rot.shape
    # Rotations stay rotations (the SVD projection ran in float32) ...
    eye = torch.eye(3).expand_as(rot)
    torch.testing.assert_close(rot @ rot.transpose(1, 2), eye, rtol=0, atol=1e-4)
    # ... and stay close to float32's: 99% of the entries within 0.1 (a randomly
    # initialised Multitask-Net predicts near-degenerate matrices for some anchors, whose
    # projection the network's rounding can turn by up to 0.25).
    diff = (rot - ref_rot).abs().flatten()
    assert torch.quantile(diff, 0.99) < 0.1 and diff.max() < 0.5, diff.max()


def test_rankpose_head_runs_in_float32_under_autocast():
    head = MODELS.build(tiny_rankpose_cfg('arccos')['head'])
    feats = torch.randn(16, 512)
    ref = head([feats])
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = head([feats])
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-4)


def test_project_to_rotation_takes_half_precision():
    from headpose.structures import project_to_rotation
    m = torch.eye(3).repeat(4, 1, 1) + 0.05 * torch.randn(4, 3, 3)
    ref = project_to_rotation(m)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        rot = project_to_rotation(m.bfloat16())
    assert rot.dtype == torch.float32
    torch.testing.assert_close(rot, ref, rtol=0, atol=2e-2)
