"""tools/deployment/pytorch2onnx.py and OnnxHeadPoseModel: the ONNX round trip."""

import glob
import importlib.util
import os.path as osp

import numpy as np
import pytest
import torch

pytest.importorskip('onnx', reason='onnx is optional (requirements/optional.txt)')
pytest.importorskip('onnxruntime', reason='onnxruntime is optional (requirements/optional.txt)')

from headpose.apis import OnnxHeadPoseModel, inference_topdown, init_model  # noqa: E402
from headpose.testing import REAL_SAMPLES, REPO_ROOT, load_script  # noqa: E402

CONFIG = osp.join(REPO_ROOT, 'configs', 'rankpose', 'r18_arccos_synthheads.py')
AFLW_JPGS = sorted(glob.glob(osp.join(REAL_SAMPLES, 'aflw2000', '*.jpg')))
TOLERANCE = 0.01  # degrees


def _load_tool():
    return load_script('tools/deployment/pytorch2onnx.py', 'pytorch2onnx')


tool = _load_tool()


def _spread_head(model):
    """Random weights give angles near 0; aim the output layer at the mean feature so
    the decoded angles span tens of degrees, where decoding errors would show."""
    crops = torch.randint(0, 256, (8, 3, 64, 64), dtype=torch.uint8)
    with torch.no_grad():
        x = model.data_preprocessor(dict(inputs=list(crops)))['inputs']
        feat = model.extract_feat(x)[-1].mean(0)
    feat = feat / feat.norm()
    noise = torch.randn(3, feat.numel()) * feat.abs().mean()
    weight = torch.tensor([0.9, -0.6, 0.3])[:, None] * feat[None] + noise
    model.head.fc.weight.data.copy_(weight)
    return model


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    model = _spread_head(init_model(CONFIG))
    path = tmp_path_factory.mktemp('ckpt') / 'r18.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return str(path)


def test_tool_exports_and_checks_within_tolerance(ckpt, tmp_path, capsys):
    out = tmp_path / 'r18.onnx'
    assert tool.main([CONFIG, ckpt, '--out', str(out), '--dynamic',
                      '--num-dataset-items', '4']) == 0
    text = capsys.readouterr().out
    assert 'decoding in the graph' in text and ': OK' in text
    assert 'real images' in text or not AFLW_JPGS
    worst = float(text.split('max difference PyTorch vs ONNX Runtime: ')[1].split()[0])
    assert worst < TOLERANCE

    # Behind the inference API: the same results on real images (or a rendered one).
    model = init_model(CONFIG, ckpt)
    onnx_model = init_model(CONFIG, str(out))  # an .onnx checkpoint gives OnnxHeadPoseModel
    assert isinstance(onnx_model, OnnxHeadPoseModel) and onnx_model.decoded
    images = AFLW_JPGS or [np.random.default_rng(0).integers(0, 255, (80, 80, 3), np.uint8)]
    boxes = [np.array([[100, 80, 360, 380], [0, 0, 450, 450]], np.float32)] * len(images)
    ref = inference_topdown(model, images, bboxes=boxes)
    got = inference_topdown(onnx_model, images, bboxes=boxes)
    for a, b in zip(ref, got):
        pa, pb = a.pred_instances.poses.numpy(), b.pred_instances.poses.numpy()
        assert np.abs(pa).max() > 10, 'angles should be spread for a meaningful check'
        assert np.abs(pa - pb).max() < TOLERANCE
        assert tool.rotation_angle_between(a.pred_instances.rotations.numpy(),
                                           b.pred_instances.rotations.numpy()).max() < TOLERANCE

    # tools/test.py evaluates the .onnx file: PyTorch's metrics.
    spec = importlib.util.spec_from_file_location(
        'test_tool', osp.join(REPO_ROOT, 'tools', 'test.py'))
    test_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test_tool)
    options = ['--cfg-options', 'test_dataloader.dataset.num_samples=6']
    ref = test_tool.main([CONFIG, ckpt, '--work-dir', str(tmp_path / 'pt'), *options])
    got = test_tool.main([CONFIG, str(out), '--work-dir', str(tmp_path / 'onnx'), *options])
    assert set(ref) == set(got)
    for key, value in ref.items():
        assert got[key] == pytest.approx(value, abs=1e-3), key


def test_tool_errors(tmp_path, capsys):
    assert tool.main([CONFIG, str(tmp_path / 'missing.pth'), '--out',
                      str(tmp_path / 'x.onnx')]) == 2
    assert 'checkpoint file not found' in capsys.readouterr().err


def test_tool_refuses_a_checkpoint_of_another_model(tmp_path, capsys):
    from headpose.registry import MODELS
    from headpose.testing.multitask_net import tiny_multitask_cfg
    ckpt = tmp_path / 'multitask.pth'
    torch.save({'state_dict': MODELS.build(tiny_multitask_cfg()).state_dict()}, ckpt)
    out = tmp_path / 'm.onnx'
    assert tool.main([CONFIG, str(ckpt), '--out', str(out)]) == 2
    err = capsys.readouterr().err
    assert 'CheckpointMismatchError' in err and str(ckpt) in err and not out.exists()
