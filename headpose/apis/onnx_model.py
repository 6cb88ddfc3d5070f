"""ONNX export of head-pose models, and running the exported graph with ONNX Runtime.

Top-down models (RankPose-type): the exported graph takes ``input``: ``(N, 3, H, W)``
uint8 BGR head crops, exactly what the test pipeline's ``PackHeadPoseInputs``
produces, and contains the data preprocessor's colour swap and normalisation, the
network (run on the mirrored crops too when the model's ``test_cfg`` has
``flip_test=True``, merged by the codec's ``merge_flip``), and the codec's decoding
when ONNX can express it. Its outputs are then ``poses`` ``(N, 3)`` = (yaw, pitch,
roll) in degrees and ``rotations`` ``(N, 3, 3)``. A codec whose decoding cannot be
exported (an SVD projection: ONNX has no SVD operator) is exported undecoded: the one
output ``raw`` is decoded after the
graph by the same codec, built from the config.

Multitask-Net (:class:`MultiTaskExportWrapper`): the graph takes ``input`` ``(N, 3, H, W)``
float32, the letterboxed image batch normalised by the data preprocessor (H x W fixed: the
test pipeline's ``LetterBox`` scale; the batch may be dynamic), and outputs for every
anchor ``boxes`` ``(N, M, 4)`` (decoded, xyxy in the letterboxed input's pixels),
``objectness`` ``(N, M)``, ``scores`` ``(N, M, C)`` (objectness x class probability) and
``pose_outputs`` ``(N, M, P)`` (the codec's raw outputs, merged with the flipped image's
when the model flip-tests). The thresholds, the NMS, the un-letterboxing and the codec's
decoding (the SVD projection) run after the graph, in :class:`OnnxHeadPoseModel`, with
the very functions the PyTorch head uses (``detections_of_image``,
``decode_detection_poses``) on ONNX Runtime's arrays.

The config travels inside the file (metadata ``headpose_config``), and the kind of model
(``headpose_kind``: ``topdown`` or ``multitask``), so :class:`OnnxHeadPoseModel` needs
nothing else.
"""

import contextlib
import inspect
import json
import math
import os
import os.path as osp
import sys
import tempfile
import warnings
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.structures import InstanceData

from headpose.models.estimators.top_down import add_crop_boxes
from headpose.models.heads.aggregation_pose_head import decode_detection_poses
from headpose.models.heads.yolov3_head import detections_of_image
from headpose.registry import MODELS, TASK_UTILS
from headpose.structures import HeadPoseDataSample
from headpose.utils import register_all_modules

from .pipeline import get_test_pipeline, is_topdown

META_CONFIG = 'headpose_config'
META_DECODED = 'headpose_decoded'
META_KIND = 'headpose_kind'
META_MULTITASK = 'headpose_multitask'
MULTITASK_OUTPUTS = ['boxes', 'objectness', 'scores', 'pose_outputs']


class HeadPoseExportWrapper(nn.Module):
    """uint8 BGR crops -> (poses in degrees, rotations), or the raw head outputs.

    Args:
        model: a top-down model (backbone, optional neck, head with a ``codec``).
        decode: put the codec's decoding into the graph.
    """

    def __init__(self, model: nn.Module, decode: bool = True):
        super().__init__()
        self.model = model
        self.decode = decode
        pre = model.data_preprocessor
        self.register_buffer('mean', pre.mean.detach().clone().float().view(1, -1, 1, 1), False)
        self.register_buffer('std', pre.std.detach().clone().float().view(1, -1, 1, 1), False)
        self.bgr_to_rgb = bool(getattr(pre, 'bgr_to_rgb', False))
        self.flip_test = bool(getattr(model, 'test_cfg', {}).get('flip_test', False))

    def forward(self, img: torch.Tensor):
        x = img.float()
        if self.bgr_to_rgb:
            x = torch.cat([x[:, 2:3], x[:, 1:2], x[:, 0:1]], dim=1)
        x = (x - self.mean) / self.std
        head = self.model.head
        out = head(self.model.extract_feat(x))
        if self.flip_test:
            out = head.codec.merge_flip(out, head(self.model.extract_feat(x.flip(-1))))
        if not self.decode:
            return out
        rotations, poses = self.model.head.codec.decode(out)
        return poses, rotations.reshape(-1, 3, 3)


class MultiTaskExportWrapper(nn.Module):
    """Normalised letterboxed images -> every anchor's boxes, scores and pose outputs.

    The graph of a Multitask-Net (see the module docstring): backbone, neck, both
    branches, the box decoding (``YOLOV3Head.decode_all``) and the pose branch's anchor
    outputs (``AggregationPoseHead.anchor_outputs``, flip-merged when the model's
    ``test_cfg`` has ``flip_test=True``).

    Args:
        model: a ``MultiTaskNet``.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor):
        model = self.model
        head = model.head
        box_maps, pose_maps = head(model.extract_feat(inputs))
        boxes, objectness, scores = head.bbox_head.decode_all(box_maps)
        flipped_maps = None
        if model.flip_test:
            _, flipped_maps = head(model.extract_feat(model.flip_inputs(inputs)))
        return boxes, objectness, scores, head.pose_head.anchor_outputs(pose_maps, flipped_maps)


def _scale_symbolic(factor: float):
    def symbolic(g, x):
        return g.op('Mul', x, g.op('Constant', value_t=torch.tensor(factor, dtype=torch.float32)))
    return symbolic


def register_onnx_symbolics(opset: int = 17) -> None:
    """Teaches the TorchScript exporter ``rad2deg`` and ``deg2rad`` (a multiplication),
    which the decoding of angles uses and which it does not know."""
    from torch.onnx import register_custom_op_symbolic
    register_custom_op_symbolic('aten::rad2deg', _scale_symbolic(180.0 / math.pi), opset)
    register_custom_op_symbolic('aten::deg2rad', _scale_symbolic(math.pi / 180.0), opset)


@contextlib.contextmanager
def _silenced_fds():
    """Silences file descriptors 1 and 2 (the exporter dumps its whole graph there when
    an operator is missing, from C++, past ``sys.stdout``)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def crop_size_of(cfg: Config) -> Tuple[int, int]:
    """The (width, height) of the crops the config's test pipeline makes (``CropHead``)."""
    for t in get_test_pipeline(cfg):
        if t.get('type') == 'CropHead':
            size = t.get('input_size', (224, 224))
            return int(size[0]), int(size[1])
    raise ValueError('the config\'s test pipeline has no CropHead: only top-down models '
                     '(RankPose-type) can be exported by this tool')


def letterbox_size_of(cfg: Config) -> Tuple[int, int]:
    """The (width, height) of the images the config's test pipeline makes (``LetterBox``)."""
    for t in get_test_pipeline(cfg):
        if t.get('type') == 'LetterBox':
            size = t.get('scale', (416, 416))
            return int(size[0]), int(size[1])
    raise ValueError('the config\'s test pipeline has no LetterBox: a Multitask-Net is '
                     'exported for the fixed input size of its letterboxed images')


def is_multitask(model) -> bool:
    """Whether ``model`` is a Multitask-Net (``MultiTaskNet``)."""
    from headpose.models.estimators import MultiTaskNet
    return isinstance(model, MultiTaskNet)


def export_onnx(model: nn.Module, out_file: str, input_size: Optional[Tuple[int, int]] = None,
                batch_size: int = 1, dynamic: bool = False, opset: int = 17,
                decode: Optional[bool] = None) -> bool:
    """Exports a top-down model or a Multitask-Net to ONNX with the legacy TorchScript
    exporter (see the module docstring for the graphs).

    Args:
        model: a model from :func:`~headpose.apis.init_model` (``model.cfg`` set).
        out_file: the ``.onnx`` file to write.
        input_size: crop (width, height); default: the config's ``CropHead``. A
            Multitask-Net is exported at its ``LetterBox`` scale (another size is refused).
        batch_size: the batch size of the example input, and of the graph unless dynamic.
        dynamic: make the batch dimension dynamic.
        opset: the ONNX opset.
        decode: ``True``: decoding in the graph (an error if it cannot be exported);
            ``False``: raw outputs; ``None``: in the graph when exportable, else raw.
            A Multitask-Net's pose is always decoded after the graph (``False``).

    Returns:
        Whether the pose decoding is inside the graph.
    """
    if is_multitask(model):
        if decode:
            raise ValueError('a Multitask-Net is exported with its pose decoding after the '
                             'graph (after the NMS); decode=True is not possible')
        _export_multitask(model, out_file, input_size, batch_size, dynamic, opset)
        return False
    if not is_topdown(model):
        raise ValueError(f'ONNX export supports top-down models (TopDownPoseEstimator) and '
                         f'Multitask-Net (MultiTaskNet); {type(model).__name__} is neither')
    cfg = model.cfg
    w, h = input_size or crop_size_of(cfg)
    model = model.cpu().eval()
    dummy = torch.randint(0, 256, (batch_size, 3, h, w), dtype=torch.uint8)
    register_onnx_symbolics(opset)
    choices = [True, False] if decode is None else [decode]
    last_err = None
    for dec in choices:
        wrapper = HeadPoseExportWrapper(model, decode=dec).eval()
        names = ['poses', 'rotations'] if dec else ['raw']
        axes = None
        if dynamic:
            axes = {'input': {0: 'batch'}}
            axes.update({n: {0: 'batch'} for n in names})
        quiet = _silenced_fds() if (dec and len(choices) > 1) else contextlib.nullcontext()
        try:
            with warnings.catch_warnings(), torch.no_grad(), quiet:
                warnings.simplefilter('ignore')
                torch.onnx.export(wrapper, (dummy, ), out_file, dynamo=False,
                                  input_names=['input'], output_names=names,
                                  dynamic_axes=axes, opset_version=opset,
                                  do_constant_folding=True)
        except Exception as err:  # e.g. an operator ONNX does not have
            last_err = err
            if len(choices) > 1 and dec:
                warnings.warn(f'the decoding of {type(model.head.codec).__name__} cannot be '
                              f'exported ({type(err).__name__}: {str(err)[:200]}); exporting '
                              'raw outputs, decoded after the graph')
                continue
            raise
        _set_metadata(out_file, {META_CONFIG: cfg.pretty_text, META_DECODED: json.dumps(dec),
                                 META_KIND: 'topdown'})
        return dec
    raise RuntimeError(f'ONNX export failed: {last_err}')


def _export_multitask(model: nn.Module, out_file: str, input_size: Optional[Tuple[int, int]],
                      batch_size: int, dynamic: bool, opset: int) -> None:
    """Writes a Multitask-Net's graph (see the module docstring) and its metadata."""
    cfg = model.cfg
    w, h = letterbox_size_of(cfg)
    if input_size is not None and tuple(input_size) != (w, h):
        raise ValueError(f'a Multitask-Net is exported for the {w} x {h} images its test '
                         f'pipeline letterboxes to (the config travels in the file and '
                         f'prepares the inputs), not {input_size[0]} x {input_size[1]}; '
                         'for another size use a config whose LetterBox has that scale')
    model = model.cpu().eval()
    if model.flip_test:
        model.head.check_flip_width(w)
    dummy = torch.randn(batch_size, 3, h, w)
    wrapper = MultiTaskExportWrapper(model).eval()
    axes = None
    if dynamic:
        axes = {n: {0: 'batch'} for n in ['input'] + MULTITASK_OUTPUTS}
    register_onnx_symbolics(opset)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter('ignore')
        box_maps, _ = model.head(model.extract_feat(dummy))
        torch.onnx.export(wrapper, (dummy, ), out_file, dynamo=False, input_names=['input'],
                          output_names=MULTITASK_OUTPUTS, dynamic_axes=axes,
                          opset_version=opset, do_constant_folding=True)
    bbox_head, pose_head = model.head.bbox_head, model.head.pose_head
    gen = bbox_head.prior_generator
    info = dict(input_size=[w, h], featmap_sizes=[list(m.shape[-2:]) for m in box_maps],
                strides=gen.strides, base_sizes=[b.tolist() for b in gen.base_sizes],
                test_cfg=dict(bbox_head.test_cfg), test_anchors=pose_head.test_anchors)
    _set_metadata(out_file, {META_CONFIG: cfg.pretty_text, META_DECODED: 'false',
                             META_KIND: 'multitask', META_MULTITASK: json.dumps(info)})


def _set_metadata(path: str, meta: dict) -> None:
    import onnx
    m = onnx.load(path)
    for key, value in meta.items():
        entry = m.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(m, path)


class OnnxHeadPoseModel:
    """An exported model run by ONNX Runtime, usable wherever the inference API takes a
    model (:func:`~headpose.apis.inference_model`, the demos).

    It has the model's ``cfg`` (read from the file unless given) and a ``test_step``
    that takes what the test pipeline packs and sets ``pred_instances`` on the data
    samples, like the PyTorch model, and its ``pose_codec``. ``is_topdown`` tells the
    kind: a top-down model's ``pred_instances`` hold the crop's one head; a
    Multitask-Net's every detected head (``bboxes`` in original image pixels,
    ``scores``, ``labels``, ``rotations``, ``poses``), selected after the graph by the
    PyTorch head's own code with the config's ``test_cfg``
    (``model.head.bbox_head.test_cfg``, e.g. ``score_thr``, can be changed through the
    config given here).

    Args:
        onnx_file: the file written by ``tools/deployment/pytorch2onnx.py``.
        config: the model's config (path or Config); default: the one in the file.
        num_threads: ONNX Runtime intra-op threads (``None``: its default).
        providers: ONNX Runtime execution providers (default: CPU).
    """

    is_topdown = True  # set per file in __init__ (kind metadata)

    def __init__(self, onnx_file: str, config=None, num_threads: Optional[int] = None,
                 providers: Optional[Sequence[str]] = None):
        try:
            import onnxruntime as ort
        except ImportError as err:
            raise ImportError('OnnxHeadPoseModel needs onnxruntime: pip install onnxruntime '
                              '(see requirements/optional.txt)') from err
        if not osp.isfile(onnx_file):
            raise FileNotFoundError(f'ONNX file not found: {onnx_file}')
        opts = ort.SessionOptions()
        if num_threads is not None:
            opts.intra_op_num_threads = num_threads
            opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            onnx_file, sess_options=opts, providers=list(providers or ['CPUExecutionProvider']))
        meta = self.session.get_modelmeta().custom_metadata_map
        if config is None:
            if META_CONFIG not in meta:
                raise ValueError(f'{onnx_file} carries no headpose config; pass config=')
            config = Config.fromstring(meta[META_CONFIG], '.py')
        elif not isinstance(config, Config):
            config = Config.fromfile(config)
        self.cfg = config
        self.decoded = json.loads(meta.get(META_DECODED, 'true'))
        self.kind = meta.get(META_KIND, 'topdown')
        if self.kind not in ('topdown', 'multitask'):
            raise ValueError(f'{onnx_file}: unknown {META_KIND} {self.kind!r} (expected '
                             "'topdown' or 'multitask'); written by a newer headpose?")
        self.is_topdown = self.kind == 'topdown'
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.static_batch = inp.shape[0] if isinstance(inp.shape[0], int) else None
        self.output_names = [o.name for o in self.session.get_outputs()]
        register_all_modules(training=False)
        if self.is_topdown:
            self.pose_codec = TASK_UTILS.build(self.cfg.model.head.get(
                'codec', dict(type='EulerCodec')))
        else:
            self._init_multitask(onnx_file, meta)

    def _init_multitask(self, onnx_file: str, meta: dict) -> None:
        """The parts of a Multitask-Net needed around its graph: data preprocessor, anchors,
        ``test_cfg`` (the file's, updated by the config's) and pose codec."""
        if META_MULTITASK not in meta:
            raise ValueError(f'{onnx_file}: a Multitask-Net file without {META_MULTITASK} '
                             'metadata; export it again with tools/deployment/pytorch2onnx.py')
        info = json.loads(meta[META_MULTITASK])
        head = self.cfg.model.head
        self.input_size = tuple(info['input_size'])
        self.featmap_sizes = [tuple(s) for s in info['featmap_sizes']]
        self.test_cfg = dict(info['test_cfg'])
        self.test_cfg.update(head.bbox_head.get('test_cfg') or {})
        self.test_anchors = head.pose_head.get('test_anchors', info['test_anchors'])
        self.prior_generator = TASK_UTILS.build(dict(
            type='YOLOAnchorGenerator', strides=info['strides'], base_sizes=info['base_sizes']))
        self.priors = torch.cat(self.prior_generator.grid_priors(self.featmap_sizes))
        self.data_preprocessor = MODELS.build(self.cfg.model.data_preprocessor)
        from headpose.models.heads import AggregationPoseHead
        default_codec = inspect.signature(AggregationPoseHead).parameters['codec'].default
        self.pose_codec = TASK_UTILS.build(head.pose_head.get('codec', default_codec))

    def eval(self) -> 'OnnxHeadPoseModel':
        return self

    def _run_batches(self, inputs: np.ndarray) -> List[list]:
        """ONNX Runtime on ``inputs`` in chunks of the graph's batch (the last padded)."""
        n = len(inputs)
        step = self.static_batch or max(n, 1)
        outs: List[list] = []
        for i in range(0, n, step):
            chunk = inputs[i:i + step]
            real = len(chunk)
            if self.static_batch and real < step:  # pad a static batch
                chunk = np.concatenate([chunk, np.repeat(chunk[-1:], step - real, 0)])
            res = self.session.run(None, {self.input_name: chunk})
            outs.append([r[:real] for r in res])
        return outs

    def run(self, crops: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """``(N, 3, H, W)`` uint8 BGR crops -> ``(poses (N, 3), rotations (N, 3, 3))``
        (top-down models)."""
        if not self.is_topdown:
            raise TypeError('OnnxHeadPoseModel.run is for top-down models; a Multitask-Net '
                            'runs with run_multitask (or test_step)')
        outs = self._run_batches(np.ascontiguousarray(crops, dtype=np.uint8))
        if not outs:
            return np.zeros((0, 3), np.float32), np.zeros((0, 3, 3), np.float32)
        res = [np.concatenate([o[k] for o in outs]) for k in range(len(outs[0]))]
        if self.decoded:
            named = dict(zip(self.output_names, res))
            return named['poses'], named['rotations'].reshape(-1, 3, 3)
        rotations, poses = self.pose_codec.decode(torch.from_numpy(res[0]).float())
        return poses.numpy(), rotations.reshape(-1, 3, 3).numpy()

    def run_multitask(self, inputs: np.ndarray) -> dict:
        """``(N, 3, H, W)`` float32 normalised letterboxed images -> the graph's outputs
        (``boxes``, ``objectness``, ``scores``, ``pose_outputs``), every anchor, as numpy."""
        inputs = np.ascontiguousarray(inputs, dtype=np.float32)
        h, w = inputs.shape[-2:]
        if (w, h) != self.input_size:
            raise ValueError(f'OnnxHeadPoseModel: the graph takes {self.input_size[0]} x '
                             f'{self.input_size[1]} images (W x H), got {w} x {h}; use the '
                             'config\'s test pipeline (LetterBox)')
        outs = self._run_batches(inputs)
        if not outs:
            return {}
        return {name: np.concatenate([o[k] for o in outs])
                for k, name in enumerate(self.output_names)}

    def postprocess(self, outputs: dict, metas: List[dict]) -> List[InstanceData]:
        """Per image, the detections from the graph's outputs: thresholds and NMS
        (``detections_of_image``), un-letterboxing, and the pose decoding
        (``decode_detection_poses``), the PyTorch head's own functions."""
        results = []
        for i, meta in enumerate(metas):
            out = {k: torch.from_numpy(np.asarray(v[i])) for k, v in outputs.items()}
            inst = detections_of_image(out['boxes'], out['objectness'], out['scores'],
                                       self.test_cfg, self.prior_generator, self.priors,
                                       self.featmap_sizes, meta)
            inst = decode_detection_poses(self.pose_codec, self.test_anchors,
                                          out['pose_outputs'].float(), inst)
            del inst.anchor_inds, inst.resp_anchors
            results.append(inst)
        return results

    def test_step(self, data: dict) -> List[HeadPoseDataSample]:
        """Runs the packed pipeline outputs (``inputs``, ``data_samples``) through the graph."""
        if not self.is_topdown:
            return self._multitask_test_step(data)
        inputs = data['inputs']
        if isinstance(inputs, torch.Tensor):
            crops = inputs.cpu().numpy()
        else:
            crops = np.stack([np.asarray(t.cpu() if isinstance(t, torch.Tensor) else t)
                              for t in inputs])
        poses, rotations = self.run(crops)
        samples = data.get('data_samples') or [HeadPoseDataSample() for _ in range(len(crops))]
        for s, p, r in zip(samples, poses, rotations):
            s.pred_instances = add_crop_boxes(InstanceData(
                rotations=torch.as_tensor(r, dtype=torch.float32).reshape(1, 3, 3),
                poses=torch.as_tensor(p, dtype=torch.float32).reshape(1, 3)), s.metainfo)
        return samples

    def _multitask_test_step(self, data: dict) -> List[HeadPoseDataSample]:
        with torch.no_grad():
            batch = self.data_preprocessor(dict(inputs=data['inputs'],
                                                data_samples=data.get('data_samples')))
        samples = batch['data_samples'] or [HeadPoseDataSample()
                                            for _ in range(len(batch['inputs']))]
        outputs = self.run_multitask(batch['inputs'].cpu().numpy())
        for sample, inst in zip(samples, self.postprocess(outputs, [s.metainfo
                                                                   for s in samples])):
            sample.pred_instances = inst
        return samples


__all__ = ['HeadPoseExportWrapper', 'MultiTaskExportWrapper', 'OnnxHeadPoseModel',
           'crop_size_of', 'export_onnx', 'is_multitask', 'letterbox_size_of',
           'register_onnx_symbolics']
