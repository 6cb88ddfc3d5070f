"""demo/video_demo.py: drawn video + per-frame CSV, smoothing, and bad video sources."""

import csv
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from headpose.apis import init_model
from headpose.testing import REPO_ROOT, load_script

CONFIG = osp.join(REPO_ROOT, 'configs', 'rankpose', 'r18_arccos_synthheads.py')


def _load_demo():
    return load_script('demo/video_demo.py', 'video_demo')


demo = _load_demo()


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    model = init_model(CONFIG)
    path = tmp_path_factory.mktemp('ckpt') / 'r18_random.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return str(path)


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    """Six 96x72 frames of a moving disc (MJPG .avi, which every OpenCV build writes)."""
    path = tmp_path_factory.mktemp('video') / 'clip.avi'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10, (96, 72))
    assert writer.isOpened()
    for i in range(6):
        frame = np.full((72, 96, 3), 60, np.uint8)
        cv2.circle(frame, (30 + 5 * i, 36), 18, (60, 170, 230), -1)
        writer.write(frame)
    writer.release()
    return str(path)


def _rows(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def test_video_with_smoothing(ckpt, video, tmp_path):
    out = tmp_path / 'out.mp4'
    assert demo.main([video, CONFIG, ckpt, '--out-video', str(out), '--smooth', '0.6']) == 0
    rows = _rows(tmp_path / 'out.csv')
    assert list(rows[0]) == demo.CSV_HEADER
    assert [int(r['frame']) for r in rows] == list(range(6))
    assert {r['track'] for r in rows} == {'0'}  # one head followed through the clip
    assert float(rows[1]['time_s']) == pytest.approx(0.1)
    cap = cv2.VideoCapture(str(out))
    frames = 0
    while cap.read()[0]:
        frames += 1
    assert frames == 6 and int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == 96
    cap.release()


def test_boxes_by_frame_index_and_empty_frames(ckpt, video, tmp_path):
    boxes = tmp_path / 'boxes.json'
    boxes.write_text(json.dumps({str(i): ([[5, 5, 60, 60, 0.9]] if i % 2 else [])
                                 for i in range(6)}))
    out = tmp_path / 'o.avi'
    assert demo.main([video, CONFIG, ckpt, '--detector', f'file:{boxes}', '--out-video',
                      str(out), '--out-csv', str(tmp_path / 'o.csv'), '--max-frames', '4']) == 0
    rows = _rows(tmp_path / 'o.csv')
    assert [r['frame'] for r in rows] == ['0', '1', '2', '3']
    assert [r['score'] for r in rows] == ['', '0.9', '', '0.9']


def test_bad_sources(ckpt, tmp_path, capsys):
    not_video = tmp_path / 'notes.mp4'
    not_video.write_text('not a video')
    assert demo.main([str(not_video), CONFIG, ckpt, '--out-video',
                      str(tmp_path / 'x.mp4')]) == 1
    err = capsys.readouterr().err
    assert 'notes.mp4' in err
    assert demo.main([str(tmp_path / 'absent.mp4'), CONFIG, ckpt]) == 1
    assert 'video file not found' in capsys.readouterr().err
    assert demo.main(['57', CONFIG, ckpt]) == 1  # no camera has index 57 here
    assert 'cannot open webcam 57' in capsys.readouterr().err
    assert demo.main(['0', CONFIG, ckpt, '--smooth', '1.5']) == 2
    assert 'momentum' in capsys.readouterr().err


def test_smoothing_reads_the_range_from_the_model_codec():
    """The Euler range of the smoothed angles is the model's codec's: the CMU Panoptic
    config (codec inside the Multitask-Net head) reports full-range yaw, the quick start
    narrow yaw. (The demo used to search the config for a codec with full_range and
    found none in the CMU config: it wrote narrow-range angles for a full-range model.)"""
    cmu = init_model(osp.join(REPO_ROOT, 'configs/multitask_net/d53_v2-vector_cmu-panoptic.py'))
    assert demo.model_full_range(cmu) is True
    assert demo.model_full_range(init_model(CONFIG)) is False
    with pytest.raises(ValueError, match='no pose_codec'):
        demo.model_full_range(object())


def test_a_video_shorter_than_its_header_states(ckpt, tmp_path, capsys):
    """A truncated MJPG .avi: its header announces 12 frames, fewer can be read."""
    full = tmp_path / 'full.avi'
    writer = cv2.VideoWriter(str(full), cv2.VideoWriter_fourcc(*'MJPG'), 10, (96, 72))
    for i in range(12):
        frame = np.full((72, 96, 3), 60, np.uint8)
        cv2.circle(frame, (30 + 3 * i, 36), 18, (60, 170, 230), -1)
        writer.write(frame)
    writer.release()
    data = full.read_bytes()
    cut = tmp_path / 'cut.avi'
    cut.write_bytes(data[:len(data) * 55 // 100])
    cap = cv2.VideoCapture(str(cut))
    announced = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    assert announced == 12
    out = str(tmp_path / 'out.mp4')
    capsys.readouterr()
    assert demo.main([str(cut), CONFIG, ckpt, '--out-video', out]) == 1
    read = len(_rows(tmp_path / 'out.csv'))
    assert 0 < read < 12
    io = capsys.readouterr()
    assert f'{read} of 12 frames' in io.out
    assert (f'error: {cut} ended after {read} of the 12 frames its header announces'
            in io.err) and '--allow-short accepts it' in io.err
    assert demo.main([str(cut), CONFIG, ckpt, '--out-video', out, '--allow-short']) == 0
    assert f'warning: {cut} ended after {read} of the 12' in capsys.readouterr().err
    assert demo.main([str(full), CONFIG, ckpt, '--out-video', out]) == 0  # complete: fine
    assert '12 frames, ' in capsys.readouterr().out
