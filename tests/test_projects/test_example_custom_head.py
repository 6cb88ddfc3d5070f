"""Tests of the example plugin project: its parts, and training and testing it with the tools."""

import json
import math
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

from headpose.registry import MODELS, TASK_UTILS
from headpose.structures import euler_to_matrix, geodesic_distance
from headpose.testing import REPO_ROOT, demo_batch, tool_env

PROJECT = osp.join(REPO_ROOT, 'projects', 'example_custom_head')
TINY = osp.join(REPO_ROOT, 'tests', 'data', 'configs', 'tiny_example_custom_head.py')


@pytest.fixture(scope='module')
def plugin():
    """Imports the plugin package as custom_imports would (the project dir on sys.path)."""
    sys.path.insert(0, PROJECT)
    try:
        import example_custom_head
        yield example_custom_head
    finally:
        sys.path.remove(PROJECT)


def test_codec_round_trip_and_gram_schmidt(plugin):
    codec = TASK_UTILS.build(dict(type='Rot6DCodec'))
    angles = torch.tensor([[30.0, -20.0, 10.0], [-70.0, 40.0, -25.0]], dtype=torch.float64)
    rot = euler_to_matrix(angles)
    decoded, back = codec.decode(codec.encode(rot))
    torch.testing.assert_close(decoded, rot)
    torch.testing.assert_close(back, angles)
    # Any 6 numbers decode to a proper rotation.
    r = plugin.gram_schmidt(torch.randn(5, 6, dtype=torch.float64))
    torch.testing.assert_close(r.transpose(1, 2) @ r, torch.eye(3, dtype=torch.float64)[None]
                               .expand(5, 3, 3))
    torch.testing.assert_close(torch.det(r), torch.ones(5, dtype=torch.float64))


def test_codec_merge_flip_follows_the_flip_rule(plugin):
    from headpose.structures import flip_rotation
    codec = TASK_UTILS.build(dict(type='Rot6DCodec'))
    rot = euler_to_matrix(torch.tensor([[30.0, -20.0, 10.0], [-70.0, 40.0, -25.0]],
                                       dtype=torch.float64))
    merged = codec.merge_flip(codec.encode(rot), codec.encode(flip_rotation(rot)))
    torch.testing.assert_close(codec.decode(merged)[0], rot)
    # yaw 10 and (seen through the flip) yaw 30 merge to yaw 20
    a, b = (euler_to_matrix(torch.tensor([[y, 0.0, 0.0]], dtype=torch.float64))
            for y in (10.0, 30.0))
    _, angles = codec.decode(codec.merge_flip(codec.encode(a), codec.encode(flip_rotation(b))))
    torch.testing.assert_close(angles, torch.tensor([[20.0, 0.0, 0.0]], dtype=torch.float64))


def test_geodesic_loss_values(plugin):
    loss = MODELS.build(dict(type='GeodesicLoss', loss_weight=2.0))
    a = euler_to_matrix(torch.tensor([[10.0, 5.0, 0.0], [0.0, 0.0, 0.0]]))
    b = euler_to_matrix(torch.tensor([[10.0, 5.0, 0.0], [90.0, 0.0, 0.0]]))
    # Mean of 0 and pi/2, times 2.
    assert loss(a, b).item() == pytest.approx(math.pi / 2, abs=1e-3)
    assert loss(a[:0], b[:0]).item() == 0.0
    # Per pair it is headpose's geodesic distance (in radians), over the whole range.
    one = MODELS.build(dict(type='GeodesicLoss'))
    ra = euler_to_matrix(torch.randn(50, 3, dtype=torch.float64) * 80)
    rb = euler_to_matrix(torch.randn(50, 3, dtype=torch.float64) * 80)
    per_pair = torch.stack([one(ra[i:i + 1], rb[i:i + 1]) for i in range(50)])
    torch.testing.assert_close(torch.rad2deg(per_pair), geodesic_distance(ra, rb))
    # Exact zero, with a finite (zero) gradient, at a perfect prediction.
    x = ra.clone().requires_grad_()
    value = one(x, ra)
    value.backward()
    assert value.item() == pytest.approx(0.0, abs=1e-7) and torch.isfinite(x.grad).all()
    with pytest.raises(ValueError, match='GeodesicLoss'):
        loss(a.reshape(-1, 9), b.reshape(-1, 9))


def test_head_loss_gradient_and_predict(plugin):
    head = MODELS.build(dict(type='Rot6DHead', in_channels=16, hidden_channels=8))
    head.init_weights()
    batch = demo_batch(n=4)
    feats = (torch.randn(4, 16, requires_grad=True), )
    losses = head.loss(feats, batch['data_samples'])
    assert set(losses) == {'loss_rotation', 'mae'}
    losses['loss_rotation'].backward()
    assert head.mlp[0].weight.grad.abs().sum() > 0
    # The loss is the mean geodesic angle between the decoded and the true rotations.
    results = head.predict(feats, batch['data_samples'])
    pred = torch.cat([r.rotations for r in results])
    gt = torch.cat([s.gt_instances.rotations for s in batch['data_samples']])
    expected = geodesic_distance(pred, gt).mean().item()
    assert math.degrees(losses['loss_rotation'].item()) == pytest.approx(expected, abs=0.05)
    assert results[0].poses.shape == (1, 3)
    torch.testing.assert_close(torch.det(pred), torch.ones(4), atol=1e-5, rtol=0)


def run(args, pythonpath):
    env = tool_env(dict(PYTHONPATH=os.pathsep.join(pythonpath)))
    return subprocess.run([sys.executable] + args, cwd=REPO_ROOT, capture_output=True,
                          text=True, env=env, timeout=600)


def test_train_and_test_through_the_tools(tmp_path):
    work = str(tmp_path / 'run')
    path = [REPO_ROOT, PROJECT]
    proc = run(['tools/train.py', TINY, '--work-dir', work], path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run_dir = next(d for d in os.listdir(work) if osp.isdir(osp.join(work, d, 'vis_data')))
    with open(osp.join(work, run_dir, 'vis_data', 'scalars.json')) as f:
        logs = [json.loads(line) for line in f]
    train = [r for r in logs if 'loss_rotation' in r]
    assert len(train) == 2  # 16 pairs, batch 8, one epoch, logged every iteration
    for r in train:
        # The total loss is the geodesic loss alone: an angle in radians, in [0, pi].
        assert r['loss'] == pytest.approx(r['loss_rotation'])
        assert 0 < r['loss'] < math.pi
    ckpt = osp.join(work, 'epoch_1.pth')
    state = torch.load(ckpt, map_location='cpu', weights_only=True)['state_dict']
    assert state['head.mlp.3.weight'].shape == (6, 256)

    proc = run(['tools/test.py', TINY, ckpt, '--work-dir', work], path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    found = re.search(r'Epoch\(test\).*pose/MAE: ([0-9.]+).*pose/geodesic: ([0-9.]+)'
                      r'.*pose/num_images: ([0-9.]+)', out)
    assert found, out[-3000:]
    mae, geodesic, num = map(float, found.groups())
    assert 0 < mae < 90 and 0 < geodesic <= 180 and num == 8


def test_missing_plugin_path_names_the_module():
    # The tools read configs alike; print_config fails the same way, without torch.
    proc = run(['tools/misc/print_config.py', TINY], [REPO_ROOT])
    assert proc.returncode != 0
    assert 'Failed to import custom modules' in proc.stderr
    assert "'example_custom_head'" in proc.stderr
