"""Multitask-Net in ONNX: export, the tool's check, OnnxHeadPoseModel against test_step."""

import contextlib
import copy
import glob
import io
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

pytest.importorskip('onnx', reason='onnx is optional (requirements/optional.txt)')
pytest.importorskip('onnxruntime', reason='onnxruntime is optional (requirements/optional.txt)')

from headpose.apis import (  # noqa: E402
    OnnxHeadPoseModel,
    export_onnx,
    inference_model,
    init_model,
    is_topdown,
)
from headpose.testing import REAL_SAMPLES, REPO_ROOT, load_script  # noqa: E402
from headpose.testing.multitask_net import spread_multitask_outputs  # noqa: E402

# Darknet-53 at a quarter of the width, 128 x 128 letterboxed inputs, flip test on.
CONFIG = osp.join(REPO_ROOT, 'configs', 'multitask_net', 'd53-w025_vector_synthheads.py')
NO_FLIP = {'model.test_cfg.flip_test': False}  # half the export time; the Euler test flips
EULER = dict(model=dict(head=dict(pose_head=dict(
    codec=dict(_delete_=True, type='EulerCodec', full_range=True, angle_unit=90.0),
    loss=dict(_delete_=True, type='SquaredErrorLoss', loss_weight=1.0), loss_orth=None))))
CMU_JPGS = sorted(glob.glob(osp.join(REAL_SAMPLES, 'cmu_panoptic', '*.jpg')))
BOX_TOLERANCE = 0.5  # pixels
TOLERANCE = 0.01  # degrees


def _load_tool():
    return load_script('tools/deployment/pytorch2onnx.py', 'pytorch2onnx')


tool = _load_tool()


def _model(cfg_options=None):
    """A randomly initialised model whose outputs are spread (many detections, poses
    tens of degrees apart), as a checkpoint-free stand-in for a trained one."""
    torch.manual_seed(0)
    model = init_model(CONFIG, cfg_options=cfg_options)
    items = tool.scene_items(model.cfg, 2, (192, 144))
    batch = model.data_preprocessor(dict(inputs=[d['inputs'] for d in items]))['inputs']
    spread_multitask_outputs(model, batch)
    return model


def _assert_same(ref: list, got: list, min_heads: int = 1) -> None:
    stats = tool.compare_detections(ref, got)
    assert not stats['mismatch'], stats['mismatch']
    assert stats['heads'] >= min_heads
    assert stats['box'] <= BOX_TOLERANCE
    assert max(stats['angle'], stats['rotation']) < TOLERANCE
    for a, b in zip(ref, got):
        assert set(a.keys()) == set(b.keys())
        if 'labels' in a:
            assert torch.equal(a.labels, b.labels)
        np.testing.assert_allclose(a.scores.numpy(), b.scores.numpy(), atol=1e-5)


@pytest.fixture(scope='module')
def vector(tmp_path_factory):
    """The vector model, its checkpoint and its export by the tool (dynamic batch)."""
    tmp = tmp_path_factory.mktemp('multitask_onnx')
    model = _model(NO_FLIP)
    ckpt = tmp / 'd53-w025.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    out = tmp / 'd53-w025.onnx'
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        status = tool.main([CONFIG, str(ckpt), '--out', str(out), '--dynamic',
                            '--num-scenes', '2', '--check-images', *CMU_JPGS[:1],
                            '--cfg-options', 'model.test_cfg.flip_test=False'])
    return model, str(ckpt), str(out), (status, text.getvalue())


def test_tool_exports_and_checks_against_pytorch(vector):
    status, text = vector[3]
    assert status == 0, text
    assert 'boxes decoded in the graph, NMS and pose decoding after it' in text
    assert 'SynthHeads scenes' in text and ': OK' in text
    assert 'real images' in text or not CMU_JPGS
    scenes = text.split('SynthHeads scenes')[1].split('\n')[0]
    assert int(scenes.split('images,')[1].split('heads')[0]) > 0


def test_dynamic_batch_matches_test_step(vector):
    model, _, out, _ = vector
    onnx_model = OnnxHeadPoseModel(out, num_threads=1)
    assert not onnx_model.is_topdown and not is_topdown(onnx_model)
    assert onnx_model.static_batch is None and onnx_model.input_size == (128, 128)
    assert onnx_model.output_names == ['boxes', 'objectness', 'scores', 'pose_outputs']
    items = tool.scene_items(model.cfg, 2, (192, 144))  # letterboxed: scaled and padded
    for batch in (1, 2):
        _assert_same(tool.detect(model, items, batch), tool.detect(onnx_model, items, batch),
                     min_heads=2)
    with pytest.raises(ValueError, match='128 x 128'):
        onnx_model.run_multitask(np.zeros((1, 3, 96, 128), np.float32))


def test_init_model_and_inference_model(vector):
    """``init_model(config, x.onnx)`` and ``inference_model`` give PyTorch's results; the
    config passed in can change the selection (``score_thr``) and the pose's anchors."""
    _, ckpt, out, _ = vector
    images = CMU_JPGS[1:2] + [np.random.default_rng(0).integers(0, 256, (90, 160, 3), np.uint8)]
    options = {'model.head.bbox_head.test_cfg.score_thr': 0.5,
               'model.head.pose_head.test_anchors': 'responsible'}
    model = init_model(CONFIG, ckpt, cfg_options={**NO_FLIP, **options})
    onnx_model = init_model(CONFIG, out, cfg_options=options)
    assert isinstance(onnx_model, OnnxHeadPoseModel)
    ref = inference_model(model, images)
    got = inference_model(onnx_model, images)
    _assert_same([r.pred_instances for r in ref], [g.pred_instances for g in got])
    assert onnx_model.test_cfg['score_thr'] == 0.5 and onnx_model.test_anchors == 'responsible'
    assert all((r.pred_instances.scores >= 0.5).all() for r in got)


def test_euler_codec_static_batch(tmp_path):
    """The Euler variant (flip merge with a wrap-around in the graph), a static batch of 2
    fed 3 images (padded); the file's own config (no config given)."""
    model = _model(EULER)
    path = str(tmp_path / 'euler.onnx')
    assert export_onnx(model, path, batch_size=2) is False  # pose decoded after the graph
    onnx_model = OnnxHeadPoseModel(path)
    assert onnx_model.static_batch == 2
    assert type(onnx_model.pose_codec).__name__ == 'EulerCodec'
    items = tool.scene_items(model.cfg, 3, (160, 200))
    _assert_same(tool.detect(model, items, 3), tool.detect(onnx_model, items, 3), min_heads=3)


def test_compare_detections_reports_differences():
    def inst(boxes, angles):
        from headpose.structures import euler_to_matrix
        angles = torch.tensor(angles, dtype=torch.float32).reshape(-1, 3)
        return InstanceData(bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                            poses=angles, rotations=euler_to_matrix(angles).float())

    a = inst([[0, 0, 10, 10]], [[10, 0, 0]])
    b = inst([[0, 0, 10.6, 10]], [[10.02, 0, 0]])
    stats = tool.compare_detections([a, a], [b, copy.deepcopy(inst([], []))])
    assert stats['heads'] == 2
    assert stats['mismatch'] == ['image 1: PyTorch found 1 heads, ONNX Runtime 0']
    assert stats['box'] == pytest.approx(0.6, abs=1e-5)
    assert stats['angle'] == pytest.approx(0.02, abs=1e-4)


def _load(rel):
    return load_script(rel)


def test_tools_test_and_image_demo_take_the_onnx_file(vector, tmp_path):
    """``tools/test.py CONFIG x.onnx`` gives PyTorch's metrics; the image demo runs it."""
    _, ckpt, out, _ = vector
    options = ['test_dataloader.dataset.num_samples=2', 'test_dataloader.dataset.cache=False',
               'test_evaluator.score_thr=0.5']
    test_tool = _load('tools/test.py')
    ref = test_tool.main([CONFIG, ckpt, '--work-dir', str(tmp_path / 'pt'), '--cfg-options',
                          'model.test_cfg.flip_test=False', *options])
    got = test_tool.main([CONFIG, out, '--work-dir', str(tmp_path / 'onnx'),
                          '--cfg-options', *options])
    assert set(ref) == set(got) and len(ref) > 1
    for key, value in ref.items():
        assert got[key] == pytest.approx(value, abs=1e-4, nan_ok=True), key
    with pytest.raises(SystemExit, match='--show/--show-dir cannot be used with the ONNX'):
        test_tool.main([CONFIG, out, '--show-dir', str(tmp_path / 'vis')])

    demo = _load('demo/image_demo.py')
    image = CMU_JPGS[0] if CMU_JPGS else None
    if image is None:
        pytest.skip('no real sample image')
    assert demo.main([image, CONFIG, out, '--out-dir', str(tmp_path / 'demo'), '--no-vis',
                      '--score-thr', '0.5']) == 0


def test_tool_check_fails_with_the_differences(vector, monkeypatch, capsys):
    """Beyond a tolerance, the check says which set, by how much, and returns 1."""
    model, _, out, _ = vector
    args = tool.parse_args([CONFIG, 'unused.pth', '--out', out, '--num-scenes', '1',
                            '--check-images'])
    monkeypatch.setattr(tool, 'BOX_TOLERANCE', 0.0)
    monkeypatch.setattr(tool, 'TOLERANCE', 0.0)
    assert tool.check_multitask(model, args) == 1
    text = capsys.readouterr().out
    assert 'PyTorch vs ONNX Runtime: FAILED' in text
    assert 'SynthHeads scenes: boxes differ by' in text and '(limit 0.0)' in text
    assert 'SynthHeads scenes: poses differ by' in text


def test_export_refuses_another_input_size(vector, tmp_path):
    with pytest.raises(ValueError, match='letterboxes to .* not 160 x 160'):
        export_onnx(vector[0], str(tmp_path / 'x.onnx'), input_size=(160, 160))
