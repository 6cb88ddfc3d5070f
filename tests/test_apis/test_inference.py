"""init_model (weights-only loading, mismatch errors) and inference_topdown / _multitask."""

import glob
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from headpose.apis import (
    CheckpointMismatchError,
    inference_topdown,
    init_model,
    result_to_dicts,
)
from headpose.datasets import ImageReadError
from headpose.structures import matrix_to_euler
from headpose.testing import REAL_SAMPLES, REPO_ROOT

CONFIG = osp.join(REPO_ROOT, 'configs', 'rankpose', 'r18_arccos_synthheads.py')
AFLW_JPGS = sorted(glob.glob(osp.join(REAL_SAMPLES, 'aflw2000', '*.jpg')))


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    """A random r18 quick-start checkpoint, saved as the tools save them."""
    model = init_model(CONFIG)
    path = tmp_path_factory.mktemp('ckpt') / 'r18.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return str(path)


@pytest.fixture(scope='module')
def model(ckpt):
    return init_model(CONFIG, ckpt)


@pytest.fixture(scope='module')
def image():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (90, 120, 3), dtype=np.uint8)
    cv2.circle(img, (60, 45), 25, (40, 160, 220), -1)
    return img


def test_init_model_loads_the_weights(model, ckpt):
    state = torch.load(ckpt, weights_only=True)['state_dict']
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert not model.training and model.cfg.model.backbone.depth == 18


def test_mismatched_checkpoint_lists_the_keys(ckpt, tmp_path):
    with pytest.raises(CheckpointMismatchError) as err:
        init_model(CONFIG, ckpt, cfg_options={'model.backbone.depth': 50,
                                              'model.head.in_channels': 2048})
    msg = str(err.value)
    assert ckpt in msg and 'missing keys' in msg and 'shape mismatches' in msg
    assert 'backbone.layer1.0.conv3.weight' in msg
    state = torch.load(ckpt, weights_only=True)['state_dict']
    state.pop('head.fc.weight')
    state['head.extra.weight'] = torch.zeros(3)
    path = tmp_path / 'edited.pth'
    torch.save({'state_dict': state}, path)
    with pytest.raises(CheckpointMismatchError) as err:
        init_model(CONFIG, str(path))
    msg = str(err.value)
    assert 'missing keys (1): head.fc.weight' in msg
    assert 'unexpected keys (1): head.extra.weight' in msg


class _Payload:
    """Unpickling it would create a marker file: it must never happen."""

    marker = None

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_checkpoint_objects_are_never_unpickled(model, tmp_path):
    marker = tmp_path / 'unpickled'
    payload = _Payload()
    payload.marker = str(marker)
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {'x': payload}}, path)
    with pytest.raises(RuntimeError, match='never unpickles'):
        init_model(CONFIG, str(path))
    assert not marker.exists()


def test_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='config file not found'):
        init_model(str(tmp_path / 'nope.py'))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        init_model(CONFIG, str(tmp_path / 'nope.pth'))


def test_crop_is_made_by_the_config_test_pipeline(model, image, monkeypatch):
    """The crop fed to the network is exactly the CropHead crop of training/testing."""
    from headpose.datasets.transforms import CropHead
    seen = []
    real = model.test_step

    def spy(data):
        seen.extend(data['inputs'])
        return real(data)

    monkeypatch.setattr(model, 'test_step', spy)
    box = np.array([20, 10, 80, 70], np.float32)
    inference_topdown(model, image, bboxes=[box])
    size = [t for t in model.cfg.test_pipeline if t['type'] == 'CropHead'][0]
    expected = CropHead(input_size=size['input_size'], padding=size['padding'])(
        dict(img=image.copy(), gt_bboxes=box[None]))['img']
    assert np.array_equal(seen[0].numpy().transpose(1, 2, 0), expected)


def test_topdown_result_fields_and_batches(model, image):
    boxes = np.array([[10, 10, 60, 60, 0.7], [50, 20, 110, 80, 0.9]], np.float32)
    one = inference_topdown(model, image, bboxes=boxes)
    inst = one.pred_instances
    assert inst.bboxes.shape == (2, 4) and inst.rotations.shape == (2, 3, 3)
    assert inst.poses.shape == (2, 3) and inst.scores.tolist() == pytest.approx([0.7, 0.9])
    assert one.ori_shape == (90, 120)
    np.testing.assert_allclose(matrix_to_euler(inst.rotations.double()).numpy(),
                               inst.poses.numpy(), atol=1e-3)
    many = inference_topdown(model, [image, image[::-1].copy()], bboxes=[boxes, boxes[:1]],
                             batch_size=1)
    assert isinstance(many, list) and [len(r.pred_instances) for r in many] == [2, 1]
    torch.testing.assert_close(many[0].pred_instances.poses, inst.poses, atol=1e-4, rtol=0)
    whole = inference_topdown(model, image)  # no box, no detector: the whole image
    assert whole.pred_instances.bboxes.tolist() == [[0, 0, 120, 90]]
    heads = result_to_dicts(one)
    json.dumps(heads)
    assert set(heads[0]) == {'bbox', 'score', 'yaw', 'pitch', 'roll', 'rotation'}


def test_grayscale_rgba_and_paths(model, image, tmp_path):
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    box = [[10, 5, 100, 85]]
    from_gray = inference_topdown(model, gray, bboxes=box).pred_instances.poses
    from_bgr = inference_topdown(model, cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR),
                                 bboxes=box).pred_instances.poses
    torch.testing.assert_close(from_gray, from_bgr)
    bgra = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)
    bgra[..., 3] = 17
    ref = inference_topdown(model, image, bboxes=box).pred_instances.poses
    torch.testing.assert_close(inference_topdown(model, bgra, bboxes=box).pred_instances.poses,
                               ref)
    path = tmp_path / 'img.png'
    cv2.imwrite(str(path), image)
    res = inference_topdown(model, str(path), bboxes=box)
    torch.testing.assert_close(res.pred_instances.poses, ref)
    assert res.img_path == str(path)
    with pytest.raises(ValueError, match='uint8'):
        inference_topdown(model, image.astype(np.float32))


def test_bad_inputs(model, image, tmp_path):
    bad = tmp_path / 'broken.jpg'
    bad.write_bytes(b'not a jpeg')
    with pytest.raises(ImageReadError, match='broken.jpg'):
        inference_topdown(model, str(bad))
    with pytest.raises(ImageReadError, match='not found'):
        inference_topdown(model, str(tmp_path / 'absent.jpg'))
    with pytest.raises(ValueError, match='empty boxes'):
        inference_topdown(model, image, bboxes=[[50, 50, 40, 60]])
    with pytest.raises(ValueError, match='2 images but boxes for 1'):
        inference_topdown(model, [image, image], bboxes=[[[0, 0, 10, 10]]])


def test_detectors_and_empty_detection(model, image):
    calls = []

    def detector(img, path):
        calls.append(img.shape)
        return np.array([[5, 5, 50, 50, 0.5]], np.float32)

    res = inference_topdown(model, image, detector=detector)
    assert calls == [(90, 120, 3)] and res.pred_instances.scores.tolist() == [0.5]
    empty = inference_topdown(model, image, detector=lambda img, path: np.zeros((0, 5)))
    assert len(empty.pred_instances) == 0
    assert empty.pred_instances.rotations.shape == (0, 3, 3)
    assert result_to_dicts(empty) == []


@pytest.mark.skipif(not AFLW_JPGS, reason='the real AFLW2000 samples are absent '
                    '(../shared/data/real_samples, research-only)')
def test_haar_detector_on_real_faces(model):
    results = inference_topdown(model, AFLW_JPGS, detector=dict(type='HaarCascadeDetector',
                                                                min_size=(80, 80)))
    assert all(len(r.pred_instances) >= 1 for r in results)
