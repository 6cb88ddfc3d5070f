"""The demos with a Multitask-Net, which finds the heads itself (tiny random model)."""

import csv
import json

import cv2
import numpy as np
import pytest

from headpose.testing import load_script


def _load(name):
    return load_script(f'demo/{name}.py', name)


@pytest.fixture(scope='module')
def multitask(tmp_path_factory):
    """A config file (score thresholds at 0: random weights) and its checkpoint."""
    pytest.importorskip('headpose.models.estimators.multitask_net',
                        reason='MultiTaskNet is not importable yet')
    from headpose.testing.multitask_net import write_tiny_multitask
    return write_tiny_multitask(tmp_path_factory.mktemp('multitask'))


def test_image_demo_with_multitask(multitask, tmp_path, capsys):
    cfg, ckpt = multitask
    demo = _load('image_demo')
    img = tmp_path / 'scene.png'
    cv2.imwrite(str(img), np.random.default_rng(0).integers(0, 255, (90, 120, 3), np.uint8))
    out = tmp_path / 'out'
    assert demo.main([str(img), cfg, ckpt, '--out-dir', str(out), '--score-thr', '0']) == 0
    heads = json.loads((out / 'results.json').read_text())['results'][0]['heads']
    assert 1 <= len(heads) <= 5
    assert all(0 <= h['bbox'][0] <= h['bbox'][2] <= 120 for h in heads)
    assert (out / 'vis' / 'scene.jpg').exists()
    assert demo.main([str(img), cfg, ckpt, '--detector', 'haar', '--out-dir', str(out)]) == 2
    assert 'finds the heads itself' in capsys.readouterr().err


def test_video_demo_with_multitask(multitask, tmp_path):
    cfg, ckpt = multitask
    demo = _load('video_demo')
    video = tmp_path / 'v.avi'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'MJPG'), 5, (64, 48))
    for i in range(3):
        writer.write(np.full((48, 64, 3), 40 * i, np.uint8))
    writer.release()
    assert demo.main([str(video), cfg, ckpt, '--out-video', str(tmp_path / 'o.avi'),
                      '--score-thr', '0', '--smooth', '0.5']) == 0
    with open(tmp_path / 'o.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert {r['frame'] for r in rows} == {'0', '1', '2'}
