"""HeadPoseInferencer: built by path, config name and model name; images, folders, arrays,
videos; files written; results equal to inference_model's (real samples, random r18)."""

import csv
import glob
import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch

from headpose.apis import HeadPoseInferencer, find_config, inference_model, result_to_dicts
from headpose.apis import inferencer as inferencer_module
from headpose.datasets import ImageReadError
from headpose.testing import REAL_SAMPLES, REPO_ROOT

CONFIG = osp.join(REPO_ROOT, 'configs', 'rankpose', 'r18_arccos_synthheads.py')
AFLW_JPGS = sorted(glob.glob(osp.join(REAL_SAMPLES, 'aflw2000', '*.jpg')))
CMU_JPGS = sorted(glob.glob(osp.join(REAL_SAMPLES, 'cmu_panoptic', '*.jpg')))
needs_samples = pytest.mark.skipif(
    not AFLW_JPGS, reason='the real AFLW2000 samples are absent (../shared/data/real_samples, '
    'research-only data kept outside the repository)')


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    """A random r18 of the SynthHeads quick-start config, saved as {'state_dict', 'meta'}."""
    from headpose.apis import init_model
    path = tmp_path_factory.mktemp('ckpt') / 'r18_random.pth'
    torch.save({'state_dict': init_model(CONFIG).state_dict(), 'meta': {}}, path)
    return str(path)


@pytest.fixture(scope='module')
def inferencer(ckpt):
    return HeadPoseInferencer(CONFIG, weights=ckpt)


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    """Six 120x120 frames made of the real AFLW2000 samples (MJPG .avi)."""
    path = tmp_path_factory.mktemp('video') / 'clip.avi'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10, (120, 120))
    assert writer.isOpened()
    for i in range(6):
        writer.write(cv2.resize(cv2.imread(AFLW_JPGS[i % len(AFLW_JPGS)]), (120, 120)))
    writer.release()
    return str(path)


def _heads(sample):
    return result_to_dicts(sample)


def _assert_same_heads(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g['bbox'], w['bbox'], atol=1e-2)
        np.testing.assert_allclose([g['yaw'], g['pitch'], g['roll']],
                                   [w['yaw'], w['pitch'], w['roll']], atol=1e-3)
        np.testing.assert_allclose(g['rotation'], w['rotation'], atol=1e-5)
        assert g['score'] == pytest.approx(w['score'], abs=1e-5)


def test_find_config_by_path_name_and_model_name():
    path = find_config(CONFIG)
    assert path == CONFIG
    assert osp.samefile(find_config('r18_arccos_synthheads'), CONFIG)
    assert osp.samefile(find_config('rankpose/r18_arccos_synthheads'), CONFIG)
    assert osp.samefile(find_config('rankpose/r18_arccos_synthheads.py'), CONFIG)
    # a model name of model-index.yml -> configs/*/metafile.yml (Name: ...)
    assert osp.samefile(find_config('d53-w025_vector_synthheads'), osp.join(
        REPO_ROOT, 'configs', 'multitask_net', 'd53-w025_vector_synthheads.py'))
    with pytest.raises(FileNotFoundError, match=r"unknown config 'r18_arcos_synthhead'.*"
                       r"did you mean 'r18_arccos_synthheads'"):
        find_config('r18_arcos_synthhead')
    with pytest.raises(FileNotFoundError, match='config file not found: no/such.py'):
        find_config('no/such.py')


def test_find_config_in_the_installed_package_copy(tmp_path, monkeypatch):
    """After ``pip install .`` the configs are in headpose/.mim, not next to the package."""
    package = tmp_path / 'site' / 'headpose'
    mim = package / '.mim'
    (mim / 'configs' / 'rankpose').mkdir(parents=True)
    shutil.copy(CONFIG, mim / 'configs' / 'rankpose' / 'r18_arccos_synthheads.py')
    (mim / 'configs' / 'rankpose' / 'metafile.yml').write_text(
        'Models:\n  - Name: rankpose_r18_synthheads\n'
        '    Config: configs/rankpose/r18_arccos_synthheads.py\n')
    (mim / 'model-index.yml').write_text('Import:\n  - configs/rankpose/metafile.yml\n')
    monkeypatch.setattr(inferencer_module, 'PACKAGE_DIR', str(package))
    assert inferencer_module.config_roots() == [str(mim)]
    want = str(mim / 'configs' / 'rankpose' / 'r18_arccos_synthheads.py')
    assert find_config('r18_arccos_synthheads') == want
    assert find_config('rankpose_r18_synthheads') == want
    with pytest.raises(FileNotFoundError, match=str(mim)):
        find_config('r50_arccos_300wlp')


@needs_samples
def test_built_by_name_and_model_name_give_the_same_results(inferencer, ckpt):
    by_name = HeadPoseInferencer('r18_arccos_synthheads', weights=ckpt)
    assert osp.samefile(by_name.config, CONFIG)
    want = inferencer(AFLW_JPGS[0], show_progress=False)['predictions']
    assert by_name(AFLW_JPGS[0], show_progress=False)['predictions'] == want
    with pytest.raises(FileNotFoundError, match="unknown config 'r18_nothing'"):
        HeadPoseInferencer('r18_nothing', weights=ckpt)
    with pytest.raises(FileNotFoundError, match='checkpoint file not found: absent.pth'):
        HeadPoseInferencer(CONFIG, weights='absent.pth')


@needs_samples
def test_path_folder_list_and_arrays_equal_inference_model(inferencer, tmp_path):
    model = inferencer.model
    one = inferencer(AFLW_JPGS[0], show_progress=False)
    assert [r['file'] for r in one['predictions']] == [osp.basename(AFLW_JPGS[0])]
    assert one['visualization'] == [] and one['failed'] == []
    rec = one['predictions'][0]
    assert (rec['height'], rec['width']) == (450, 450)
    assert rec['heads'][0]['bbox'] == [0, 0, 450, 450]  # no detector: the whole image
    _assert_same_heads(rec['heads'], _heads(inference_model(model, AFLW_JPGS[0])))

    folder = tmp_path / 'in'
    (folder / 'sub').mkdir(parents=True)
    for jpg in AFLW_JPGS:
        os.symlink(jpg, folder / osp.basename(jpg))
    os.symlink(AFLW_JPGS[0], folder / 'sub' / 'deep.jpg')
    res = inferencer(str(folder), batch_size=2, show_progress=False)
    assert [r['file'] for r in res['predictions']] == [osp.basename(p) for p in AFLW_JPGS]
    res = inferencer(str(folder), batch_size=2, recursive=True, show_progress=False)
    assert res['predictions'][-1]['file'] == osp.join('sub', 'deep.jpg')
    for rec, want in zip(res['predictions'], inference_model(model, AFLW_JPGS + AFLW_JPGS[:1])):
        _assert_same_heads(rec['heads'], _heads(want))

    arrays = [cv2.imread(p) for p in AFLW_JPGS[:2]]
    mixed = inferencer([AFLW_JPGS[2], arrays[0]], batch_size=2, return_vis=True,
                       show_progress=False)
    assert [r['file'] for r in mixed['predictions']] == [AFLW_JPGS[2], None]  # as given
    assert mixed['predictions'][1]['index'] == 1
    assert [v.shape for v in mixed['visualization']] == [(450, 450, 3)] * 2
    single = inferencer(arrays[1], return_vis=True, show_progress=False)
    assert single['visualization'][0].shape == arrays[1].shape
    assert not np.array_equal(single['visualization'][0], arrays[1])  # drawn on a copy
    stacked = inferencer(np.stack(arrays), show_progress=False)['predictions']
    for rec, want in zip(stacked, inference_model(model, arrays)):
        _assert_same_heads(rec['heads'], _heads(want))


@needs_samples
def test_detector_results_equal_inference_model(ckpt):
    inferencer = HeadPoseInferencer(CONFIG, weights=ckpt, detector='haar')
    res = inferencer(AFLW_JPGS, batch_size=3, show_progress=False)['predictions']
    want = inference_model(inferencer.model, AFLW_JPGS, detector='haar')
    assert sum(len(r['heads']) for r in res) >= 2
    for rec, sample in zip(res, want):
        _assert_same_heads(rec['heads'], _heads(sample))
    # score_thr sets the detector's threshold for the call only
    assert inferencer(AFLW_JPGS[0], score_thr=1.1, show_progress=False)['predictions'][0][
        'heads'] == []
    assert inferencer.detector.score_thr == 0.0


@needs_samples
def test_out_dir_writes_vis_json_and_csv(inferencer, tmp_path):
    out = tmp_path / 'out'
    res = inferencer(AFLW_JPGS, out_dir=str(out), save_csv=True, show_progress=False)
    report = json.loads((out / 'results.json').read_text())
    assert report['config'] == CONFIG and report['results'] == res['predictions']
    assert report['failed'] == [] and report['no_heads'] == []
    for jpg in AFLW_JPGS:  # named relative to the list's common folder
        drawn = cv2.imread(str(out / 'vis' / osp.basename(jpg)))
        assert drawn is not None and drawn.shape == (450, 450, 3)
    with open(out / 'results.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == inferencer_module.IMAGE_CSV_HEADER
    assert [r['file'] for r in rows] == AFLW_JPGS  # a list's paths as given
    assert float(rows[0]['yaw']) == res['predictions'][0]['heads'][0]['yaw']
    other = tmp_path / 'other'
    inferencer(AFLW_JPGS[0], out_dir=str(other), no_save_vis=True, show_progress=False)
    assert (other / 'results.json').exists() and not (other / 'vis').exists()
    inferencer(AFLW_JPGS[0], out_dir=str(other), no_save_pred=True, show_progress=False)
    assert (other / 'vis' / osp.basename(AFLW_JPGS[0])).exists()
    assert not (other / 'results.csv').exists()


@needs_samples
def test_bad_inputs_name_the_file(inferencer, tmp_path):
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'not an image')
    with pytest.raises(ImageReadError, match='broken.jpg'):
        inferencer([AFLW_JPGS[0], str(broken)], show_progress=False)
    res = inferencer([AFLW_JPGS[0], str(broken)], batch_size=2, skip_failed=True,
                     show_progress=False)
    assert len(res['predictions']) == 1
    assert res['failed'][0]['file'] == str(broken)
    assert 'cannot decode image' in res['failed'][0]['error']
    with pytest.raises(FileNotFoundError, match='input not found: .*absent'):
        inferencer(str(tmp_path / 'absent'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='no image files .* in .*empty'):
        inferencer(str(tmp_path / 'empty'))
    with pytest.raises(ValueError, match=r'got shape \(4,\)'):
        inferencer(np.zeros(4, np.uint8))
    with pytest.raises(TypeError, match='got dict'):
        inferencer({'img': 1})
    with pytest.raises(IOError, match='video file not found: .*absent.mp4'):
        inferencer.stream(str(tmp_path / 'absent.mp4'))


@needs_samples
def test_video_frames_files_and_stream(inferencer, video, tmp_path):
    out = tmp_path / 'out'
    res = inferencer(video, batch_size=4, out_dir=str(out), save_csv=True, return_vis=True,
                     smooth=0.6, show_progress=False)
    preds = res['predictions']
    assert [r['frame'] for r in preds] == list(range(6))
    assert preds[1]['time_s'] == pytest.approx(0.1) and preds[0]['file'] == 'clip.avi'
    assert {h['track'] for r in preds for h in r['heads']} == {0}  # one head, followed
    assert [v.shape for v in res['visualization']] == [(120, 120, 3)] * 6
    cap = cv2.VideoCapture(str(out / 'vis' / 'clip.mp4'))
    frames = 0
    while cap.read()[0]:
        frames += 1
    cap.release()
    assert frames == 6
    with open(out / 'results.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == inferencer_module.VIDEO_CSV_HEADER
    assert [int(r['frame']) for r in rows] == list(range(6))
    assert json.loads((out / 'results.json').read_text())['results'] == preds

    # unsmoothed frames equal inference_model on the frames read by cv2
    cap = cv2.VideoCapture(video)
    frames = [cap.read()[1] for _ in range(6)]
    cap.release()
    stream = inferencer.stream(video, batch_size=2, show_progress=False)
    assert (stream.kind, stream.name, stream.total) == ('video', 'clip', 6)
    first = next(stream)  # lazily: the rest is not read yet
    assert first['prediction']['frame'] == 0 and first['visualization'] is None
    rest = list(stream)
    assert len(rest) == 5
    for item, sample in zip([first] + rest, inference_model(inferencer.model, frames)):
        _assert_same_heads(item['prediction']['heads'], _heads(sample))
    stream = inferencer.stream(video, max_frames=2, show_progress=False)
    assert len(list(stream)) == 2
    with pytest.raises(ValueError, match='momentum'):
        inferencer.stream(video, smooth=1.5)


@pytest.mark.skipif(not CMU_JPGS, reason='the real CMU Panoptic samples are absent')
def test_multitask_net_finds_the_heads_itself(tmp_path):
    from headpose.testing.multitask_net import write_tiny_multitask
    cfg_path, ckpt = write_tiny_multitask(tmp_path)
    with pytest.raises(ValueError, match='finds the heads itself'):
        HeadPoseInferencer(str(cfg_path), weights=str(ckpt), detector='haar')
    inferencer = HeadPoseInferencer(str(cfg_path), weights=str(ckpt))
    res = inferencer(CMU_JPGS[0], score_thr=0.0, return_vis=True, show_progress=False)
    heads = res['predictions'][0]['heads']
    assert 1 <= len(heads) <= 5
    assert res['visualization'][0].shape == (1080, 1920, 3)
    _assert_same_heads(heads, _heads(inference_model(inferencer.model, CMU_JPGS[0],
                                                     score_thr=0.0)))


def test_demo_score_thr():
    """The demos' --score-thr: as given; unset, a detector keeps its own threshold and a
    Multitask-Net on whole images keeps heads from 0.3 (not its test_cfg's 0.05)."""
    from types import SimpleNamespace

    from headpose.apis.inferencer import demo_score_thr
    alone, detected = SimpleNamespace(detector=None), SimpleNamespace(detector=object())
    assert demo_score_thr(None, alone) == 0.3 and demo_score_thr(None, detected) is None
    assert demo_score_thr(0.6, alone) == 0.6 and demo_score_thr(0.0, detected) == 0.0
