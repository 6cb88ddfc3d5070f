"""tools/analysis_tools/benchmark_onnx.py (a tiny run) and tools/misc/draw_convention_figures.py."""

import glob
import importlib.util
import os.path as osp

import cv2
import pytest

from headpose.testing import REAL_SAMPLES, REPO_ROOT


def _load(rel):
    spec = importlib.util.spec_from_file_location(osp.splitext(osp.basename(rel))[0],
                                                  osp.join(REPO_ROOT, rel))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_tiny_run(capsys):
    pytest.importorskip('onnxruntime', reason='onnxruntime is optional')
    bench = _load('tools/analysis_tools/benchmark_onnx.py')
    rows = bench.main(['--depths', '18', '--batch-sizes', '2', '--input-size', '32',
                       '--threads', '1', '--min-iters', '1', '--min-seconds', '0'])
    assert len(rows) == 1 and rows[0]['batch'] == 2
    assert rows[0]['torch_ms'] > 0 and rows[0]['ort_ms'] > 0
    out = capsys.readouterr().out
    assert '| RankPose-r18 | 2 |' in out and 'CPU:' in out


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
