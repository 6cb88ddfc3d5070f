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


# --- the Multitask-Net check: detections matched by overlap and score -----------------------

MULTITASK = osp.join(REPO_ROOT, 'configs', 'multitask_net', 'd53-w025_vector_synthheads.py')
CMU_JPGS = sorted(glob.glob(osp.join(REAL_SAMPLES, 'cmu_panoptic', '*.jpg')))


def _detections(boxes, scores):
    from mmengine.structures import InstanceData

    from headpose.structures import euler_to_matrix
    angles = torch.tensor([[10.0 * k, 5.0, 0.0] for k in range(len(boxes))]).reshape(-1, 3)
    return InstanceData(bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                        scores=torch.tensor(scores, dtype=torch.float32),
                        poses=angles, rotations=euler_to_matrix(angles).float())


def test_compare_detections_matches_by_overlap_and_names_ties():
    boxes = [[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10], [60, 0, 70, 10]]
    ref = _detections(boxes[:3], [0.9, 0.25, 0.25])
    # The same heads, the two of equal score in the other order: the same detections.
    same = _detections([boxes[0], boxes[2], boxes[1]], [0.9, 0.25, 0.25])
    same.poses, same.rotations = ref.poses[[0, 2, 1]], ref.rotations[[0, 2, 1]]
    stats = tool.compare_detections([ref], [same])
    assert stats['mismatch'] == [] and stats['ties'] == [] and stats['matched'] == 3
    assert stats['box'] == 0 and stats['angle'] < 1e-4
    # max_per_img=3 keeps another box of the tied score 0.25: a tie at the cut, when the
    # image's candidates show that several anchors score 0.25.
    other = _detections([boxes[0], boxes[1], boxes[3]], [0.9, 0.25, 0.25])
    other.poses, other.rotations = ref.poses, ref.rotations
    candidates = [(np.array([0.9, 0.25, 0.25, 0.25, 0.1]),) * 2]
    stats = tool.compare_detections([ref], [other], max_per_img=3, candidates=candidates)
    assert stats['mismatch'] == [] and stats['matched'] == 2
    assert stats['ties'] == ['image 0: 1 heads kept only by PyTorch and 1 only by ONNX '
                             'Runtime, all of scores that several candidates share; 1 of them '
                             'at the max_per_img=3 cut (score 0.25): ties broken in another '
                             'order, not a difference of the export']
    # Without such a tie, a head that one runtime has and the other not is a difference.
    stats = tool.compare_detections([ref], [other], max_per_img=3)
    assert stats['mismatch'] == ["image 0: 1 of PyTorch's 3 heads and 1 of ONNX Runtime's 3 "
                                 "have no counterpart (e.g. PyTorch's box [40.0, 0.0, 50.0, "
                                 "10.0], score 0.25)"]


def test_real_image_check_says_when_it_is_skipped(tmp_path, capsys):
    assert tool.real_image_paths(None, str(tmp_path / 'absent'), 'AFLW2000') == []
    out = capsys.readouterr().out
    assert f'real images: skipped: no AFLW2000 samples in {tmp_path / "absent"}' in out
    assert '--check-images IMG' in out
    assert tool.real_image_paths([], str(tmp_path), 'AFLW2000') == []
    assert 'skipped (--check-images given without images)' in capsys.readouterr().out
    assert tool.real_image_paths(['a.jpg'], str(tmp_path), 'AFLW2000') == ['a.jpg']


def _check_multitask(ckpt, out, options=(), capsys=None):
    status = tool.main([MULTITASK, ckpt, '--out', out, '--num-scenes', '2', '--check-images',
                        *CMU_JPGS[:1], '--cfg-options', 'model.test_cfg.flip_test=False',
                        *options])
    return status, capsys.readouterr().out


def test_multitask_check_passes_an_untrained_model(tmp_path, capsys):
    """Untrained, dozens of heads per image score exactly alike: the runtimes keep other
    boxes of that score at the max_per_img cut. Paired by index, this failed ("boxes
    differ by 168 px"); matched by overlap, the same heads agree and the ties are named."""
    torch.manual_seed(0)
    model = init_model(MULTITASK, cfg_options={'model.test_cfg.flip_test': False})
    ckpt = str(tmp_path / 'untrained.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    status, text = _check_multitask(ckpt, str(tmp_path / 'm.onnx'), capsys=capsys)
    assert status == 0, text
    assert 'SynthHeads scenes ( 2 images,  200 heads' in text
    assert 'tie: image' in text and 'at the max_per_img=100 cut' in text
    assert ': OK' in text


def test_multitask_check_compares_real_boxes_of_a_briefly_trained_model(tmp_path, capsys):
    """A few iterations of training leave no head above the 0.05 threshold (the check
    passed vacuously); with the thresholds at 0, its 30 best heads an image are compared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        work = str(tmp_path / 'train')
        load_script('tools/train.py', 'train').main([
            MULTITASK, '--work-dir', work, '--cfg-options', 'train_cfg.max_iters=6',
            'train_cfg.val_interval=100', 'train_dataloader.batch_size=2',
            'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
            'train_dataloader.dataset.num_samples=8', 'default_hooks.checkpoint.interval=6'])
        capsys.readouterr()
        status, text = _check_multitask(
            osp.join(work, 'iter_6.pth'), str(tmp_path / 'm.onnx'),
            ['model.head.bbox_head.test_cfg.score_thr=0', 'model.head.bbox_head.test_cfg.'
             'conf_thr=0', 'model.head.bbox_head.test_cfg.max_per_img=30'], capsys)
    finally:
        torch.set_num_threads(threads)
    assert status == 0, text
    assert 'SynthHeads scenes ( 2 images,   60 heads,   60 matched by overlap)' in text
    assert 'no head scored' not in text
