"""Inference APIs: building models, estimating head poses, detectors, ONNX, smoothing and the
HeadPoseInferencer."""

from .detectors import DETECTOR_SPECS, build_detector
from .inference import (
    CheckpointMismatchError,
    inference_multitask,
    init_model,
    load_checkpoint_weights,
    load_model_weights,
    result_to_dicts,
)
from .inferencer import HeadPoseInferencer, find_config
from .onnx_model import OnnxHeadPoseModel, export_onnx
from .pipeline import build_test_pipeline, get_test_pipeline, is_topdown, load_image
from .smoothing import RotationSmoother
from .topdown import inference_model, inference_topdown

__all__ = ['CheckpointMismatchError', 'DETECTOR_SPECS', 'HeadPoseInferencer', 'OnnxHeadPoseModel',
           'RotationSmoother', 'build_detector', 'build_test_pipeline', 'export_onnx',
           'find_config', 'get_test_pipeline',
           'inference_model', 'inference_multitask', 'inference_topdown', 'init_model',
           'is_topdown', 'load_checkpoint_weights', 'load_image', 'load_model_weights',
           'result_to_dicts']
