"""benchmark_onnx.py (a tiny run, both models) and tools/misc/draw_convention_figures.py."""

import glob
import os.path as osp

import cv2
import pytest

from headpose.testing import REAL_SAMPLES, REPO_ROOT, load_script


def _load(rel):
    return load_script(rel)


def test_benchmark_tiny_run(capsys):
    pytest.importorskip('onnxruntime', reason='onnxruntime is optional')
    bench = _load('tools/analysis_tools/benchmark_onnx.py')
    multitask = osp.join(REPO_ROOT, 'configs', 'multitask_net', 'd53-w025_vector_synthheads.py')
    rows = bench.main(['--depths', '18', '--batch-sizes', '2', '--input-size', '32',
                       '--threads', '1', '--min-iters', '1', '--min-seconds', '0',
                       '--warmup', '0', '--multitask-config', multitask,
                       '--multitask-batch-sizes', '2'])
    assert [(r['model'], r['batch']) for r in rows] == [('RankPose-r18', 2),
                                                        ('Multitask-Net-d53 128x128', 2)]
    assert all(r['torch_ms'] > 0 and r['ort_ms'] > 0 for r in rows)
    out = capsys.readouterr().out
    assert '| RankPose-r18 | 1 | 2 |' in out and 'CPU:' in out
    assert '| Multitask-Net-d53 128x128 | 1 | 2 |' in out and "'mmap_max': 0" in out


def test_convention_figures(tmp_path):
    figures = _load('tools/misc/draw_convention_figures.py')
    written = figures.main(['--out-dir', str(tmp_path), '--size', '120'])
    synth = cv2.imread(str(tmp_path / 'conventions_synthheads.png'))
    assert synth.shape[0] == 120 and synth.shape[1] == 4 * 120 + 3 * 4
    real = sorted(glob.glob(osp.join(REAL_SAMPLES, 'aflw2000', '*.jpg')))
    assert len(written) == 1 + len(real)
    for jpg in real:
        img = cv2.imread(str(tmp_path / f'aflw2000_{osp.splitext(osp.basename(jpg))[0]}.png'))
        assert img.shape == (120, 120, 3)
