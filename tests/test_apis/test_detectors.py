"""Head detectors of the top-down path: Haar cascades, boxes from files, merging, specs."""

import glob
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import scipy.io as sio

from headpose.apis import build_detector
from headpose.apis.detectors import (
    FileBoxDetector,
    HaarCascadeDetector,
    box_iou_np,
    merge_overlaps,
)
from headpose.testing import REAL_SAMPLES

AFLW_JPGS = sorted(glob.glob(osp.join(REAL_SAMPLES, 'aflw2000', '*.jpg')))
needs_samples = pytest.mark.skipif(
    not AFLW_JPGS, reason='the real AFLW2000 samples are absent (../shared/data/real_samples, '
    'research-only data kept outside the repository)')


def test_merge_overlaps():
    boxes = np.array([[0, 0, 10, 10, 0.9], [1, 1, 11, 11, 0.3], [50, 50, 60, 60, 0.5]])
    merged = merge_overlaps(boxes, iou_thr=0.3)
    assert merged.shape == (2, 5)
    np.testing.assert_allclose(merged[0], [0.25, 0.25, 10.25, 10.25, 0.9], atol=1e-5)
    np.testing.assert_allclose(merged[1], boxes[2], atol=1e-6)
    assert merge_overlaps(np.zeros((0, 5))).shape == (0, 5)
    assert box_iou_np([[0, 0, 2, 2]], [[1, 0, 3, 2]])[0, 0] == pytest.approx(1 / 3)


@pytest.fixture(scope='module')
def haar():
    return HaarCascadeDetector(min_size=(60, 60))


def test_haar_finds_nothing_in_a_blank_image(haar):
    assert haar(np.full((120, 160, 3), 127, np.uint8)).shape == (0, 5)


@needs_samples
@pytest.mark.parametrize('jpg', AFLW_JPGS, ids=[osp.basename(p) for p in AFLW_JPGS])
def test_haar_box_holds_the_face(haar, jpg):
    img = cv2.imread(jpg)
    boxes = haar(img, jpg)
    assert len(boxes) >= 1 and (boxes[:, 4] > 0).all() and (boxes[:, 4] < 1).all()
    nose = sio.loadmat(osp.splitext(jpg)[0] + '.mat')['pt3d_68'][:2, 30]
    x1, y1, x2, y2 = boxes[0, :4]
    assert x1 < nose[0] < x2 and y1 < nose[1] < y2


@needs_samples
def test_profile_cascade_runs_on_the_mirror_image_too(haar):
    """image00251 (yaw -55) is only found by the profile cascade; its mirror image too,
    at the mirrored place."""
    img = cv2.imread(osp.join(REAL_SAMPLES, 'aflw2000', 'image00251.jpg'))
    frontal_only = HaarCascadeDetector(min_size=(60, 60), use_profile=False)
    assert len(frontal_only(img)) == 0
    found = haar(img)
    mirrored = haar(np.ascontiguousarray(img[:, ::-1]))
    assert len(found) == 1 and len(mirrored) == 1
    back = mirrored[:, :4].copy()
    back[:, [0, 2]] = img.shape[1] - mirrored[:, [2, 0]]
    assert box_iou_np(found[:, :4], back)[0, 0] > 0.9


def test_file_detector_formats(tmp_path):
    img = np.zeros((10, 10, 3), np.uint8)
    as_dict = tmp_path / 'boxes.json'
    as_dict.write_text(json.dumps({
        'imgs/a.jpg': [[10, 20, 110, 140], [200, 30, 280, 130, 0.9]],
        'b.jpg': [{'bbox': [1, 2, 3, 4], 'score': 0.5}],
        'empty.jpg': []}))
    det = FileBoxDetector(str(as_dict))
    np.testing.assert_allclose(det(img, 'imgs/a.jpg'),
                               [[10, 20, 110, 140, 1.0], [200, 30, 280, 130, 0.9]])
    np.testing.assert_allclose(det(img, '/elsewhere/b.jpg'), [[1, 2, 3, 4, 0.5]])  # by name
    np.testing.assert_allclose(det(img, str(tmp_path / 'imgs' / 'a.jpg'))[:, 4], [1.0, 0.9])
    assert det(img, 'empty.jpg').shape == (0, 5)
    with pytest.raises(KeyError, match='c.jpg is not listed'):
        det(img, 'c.jpg')
    with pytest.raises(KeyError, match='array without a path'):
        det(img, None)
    demo_results = tmp_path / 'results.json'  # image_demo's output feeds another model
    demo_results.write_text(json.dumps({'results': [
        {'file': 'x.png', 'heads': [{'bbox': [5, 5, 50, 60], 'score': 0.7, 'yaw': 1.0}]}]}))
    np.testing.assert_allclose(FileBoxDetector(str(demo_results))(img, 'x.png'),
                               [[5, 5, 50, 60, 0.7]])
    as_csv = tmp_path / 'boxes.csv'
    as_csv.write_text('file,x1,y1,x2,y2,score\na.jpg,1,2,30,40,0.8\na.jpg,5,5,9,9,\n'
                      'none.jpg,,,,,\n')
    det = FileBoxDetector(str(as_csv))
    best_first = [[5, 5, 9, 9, 1.0], [1, 2, 30, 40, 0.8]]
    np.testing.assert_allclose(det(img, 'a.jpg'), best_first)
    assert det(img, 'none.jpg').shape == (0, 5)


def test_file_detector_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='box file not found'):
        FileBoxDetector(str(tmp_path / 'absent.json'))
    bad = tmp_path / 'bad.json'
    bad.write_text('{"a.jpg": [[10, 10, 5, 20]]}')
    with pytest.raises(ValueError, match='empty or not x1, y1, x2, y2'):
        FileBoxDetector(str(bad))
    header = tmp_path / 'bad.csv'
    header.write_text('name,left,top\n')
    with pytest.raises(ValueError, match='file,x1,y1,x2,y2'):
        FileBoxDetector(str(header))
    other = tmp_path / 'boxes.txt'
    other.write_text('')
    with pytest.raises(ValueError, match='.json or .csv'):
        FileBoxDetector(str(other))


def test_build_detector_specs(tmp_path):
    boxes = tmp_path / 'b.json'
    boxes.write_text('{}')
    assert isinstance(build_detector('haar'), HaarCascadeDetector)
    assert isinstance(build_detector(f'file:{boxes}'), FileBoxDetector)
    det = build_detector(dict(type='HaarCascadeDetector', min_neighbors=3))
    assert det.min_neighbors == 3

    def fn(img, path):
        return np.zeros((0, 5))

    assert build_detector(fn) is fn
    with pytest.raises(ValueError, match="unknown detector 'yolo'"):
        build_detector('yolo')
