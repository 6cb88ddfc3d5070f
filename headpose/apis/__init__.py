"""Inference APIs: building models, estimating head poses, detectors, ONNX and smoothing."""

from .detectors import DETECTOR_SPECS, build_detector
from .inference import (
    CheckpointMismatchError,
    build_test_pipeline,
    get_test_pipeline,
    inference_model,
    inference_multitask,
    inference_topdown,
    init_model,
    is_topdown,
    load_checkpoint_weights,
    load_image,
    load_model_weights,
    result_to_dicts,
)
from .onnx_model import OnnxHeadPoseModel, export_onnx
from .smoothing import RotationSmoother

__all__ = ['CheckpointMismatchError', 'DETECTOR_SPECS', 'OnnxHeadPoseModel', 'RotationSmoother',
           'build_detector', 'build_test_pipeline', 'export_onnx', 'get_test_pipeline',
           'inference_model', 'inference_multitask', 'inference_topdown', 'init_model',
           'is_topdown', 'load_checkpoint_weights', 'load_image', 'load_model_weights',
           'result_to_dicts']
