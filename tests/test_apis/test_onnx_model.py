"""OnnxHeadPoseModel: static batches, the config carried in the file, decoding after the graph."""

import os.path as osp

import numpy as np
import pytest

pytest.importorskip('onnx', reason='onnx is optional (requirements/optional.txt)')
pytest.importorskip('onnxruntime', reason='onnxruntime is optional (requirements/optional.txt)')

from headpose.apis import OnnxHeadPoseModel, export_onnx, init_model  # noqa: E402
from headpose.testing import REPO_ROOT, load_script  # noqa: E402

CONFIG = osp.join(REPO_ROOT, 'configs', 'rankpose', 'r18_arccos_synthheads.py')
TOLERANCE = 0.01  # degrees


def _load_tool():
    return load_script('tools/deployment/pytorch2onnx.py', 'pytorch2onnx')


tool = _load_tool()


def test_static_batch_and_config_from_the_file(tmp_path):
    model = init_model(CONFIG)
    path = str(tmp_path / 'b2.onnx')
    assert export_onnx(model, path, batch_size=2) is True
    onnx_model = OnnxHeadPoseModel(path, num_threads=1)  # config read from the file
    assert onnx_model.static_batch == 2 and onnx_model.cfg.model.backbone.depth == 18
    crops = np.random.default_rng(1).integers(0, 256, (5, 3, 64, 64), dtype=np.uint8)
    poses, rots = onnx_model.run(crops)  # 5 crops through a batch-2 graph: padded
    ref_poses, ref_rots = tool.torch_decode(model, crops)
    assert poses.shape == (5, 3) and rots.shape == (5, 3, 3)
    assert np.abs(poses - ref_poses).max() < TOLERANCE


def test_undecodable_codec_is_decoded_after_the_graph(tmp_path):
    """The SVD projection of a 9-number (vector) head has no ONNX operator: the graph
    outputs the raw vectors and the codec decodes them after ONNX Runtime."""
    model = init_model(CONFIG, cfg_options=dict(model=dict(head=dict(
        output_transform='linear', codec=dict(_delete_=True, type='RotationVectorCodec')))))
    path = str(tmp_path / 'vector.onnx')
    with pytest.warns(UserWarning, match='linalg_svd'):
        assert export_onnx(model, path) is False
    onnx_model = OnnxHeadPoseModel(path)
    assert not onnx_model.decoded and onnx_model.output_names == ['raw']
    crops = np.random.default_rng(2).integers(0, 256, (3, 3, 64, 64), dtype=np.uint8)
    poses, rots = onnx_model.run(crops)
    ref_poses, ref_rots = tool.torch_decode(model, crops)
    assert tool.compare((ref_poses, ref_rots), (poses, rots))[1] < TOLERANCE
    np.testing.assert_allclose(rots @ rots.transpose(0, 2, 1), np.broadcast_to(np.eye(3),
                                                                                (3, 3, 3)),
                               atol=1e-5)
