"""inference_multitask and the Multitask-Net detector, on a tiny random Multitask-Net."""

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from headpose.apis import build_detector, inference_model, inference_multitask, init_model


@pytest.fixture(scope='module')
def image():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (90, 120, 3), dtype=np.uint8)
    cv2.circle(img, (60, 45), 25, (40, 160, 220), -1)
    return img


def _multitask_cfg():
    pytest.importorskip('headpose.models.estimators.multitask_net',
                        reason='MultiTaskNet is not importable yet')
    from headpose.testing.multitask_net import tiny_multitask_cfg
    return Config(dict(
        default_scope='headpose', model=tiny_multitask_cfg(),
        test_pipeline=[dict(type='LoadImage'), dict(type='LetterBox', scale=(64, 64)),
                       dict(type='PackHeadPoseInputs')]))


def test_inference_multitask(image, monkeypatch):
    cfg = _multitask_cfg()
    mt = init_model(cfg)
    mt.head.bbox_head.test_cfg['score_thr'] = 0.0  # random weights: keep every candidate
    mt.head.bbox_head.test_cfg['conf_thr'] = 0.0
    res = inference_multitask(mt, image)
    inst = res.pred_instances
    k = len(inst)
    assert k > 0 and inst.rotations.shape == (k, 3, 3) and inst.poses.shape == (k, 3)
    assert inst.bboxes.shape == (k, 4) and inst.scores.shape == (k, )
    assert (inst.bboxes[:, 0::2] <= 120).all() and (inst.bboxes[:, 1::2] <= 90).all()
    thr = float(inst.scores.median())
    kept = inference_model(mt, image, score_thr=thr).pred_instances
    assert 0 < len(kept) <= k and (kept.scores >= thr).all()
    gray = inference_multitask(mt, [cv2.cvtColor(image, cv2.COLOR_BGR2GRAY),
                                    cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)])
    assert len(gray) == 2
    with pytest.raises(ValueError, match='finds heads itself'):
        inference_model(mt, image, detector='haar')
    # A Multitask-Net as the detector of the top-down path.
    from headpose.apis.detectors import MultitaskNetDetector
    boxes = MultitaskNetDetector(model=mt, score_thr=thr)(image, None)
    assert boxes.shape[1] == 5 and len(boxes) == len(kept)
    assert (np.diff(boxes[:, 4]) <= 0).all()
    import headpose.apis.detectors.builder as detectors
    made = []
    monkeypatch.setattr(detectors, 'MultitaskNetDetector',
                        lambda *args, **kwargs: made.append((args, kwargs)))
    build_detector('configs/mt/x.py:work_dirs/mt/epoch_1.pth', device='cpu')
    assert made == [(('configs/mt/x.py', 'work_dirs/mt/epoch_1.pth'), dict(device='cpu'))]
