"""A trained Multitask-Net used as the head detector of a top-down model."""

from typing import Optional, Union

import numpy as np

from headpose.registry import TASK_UTILS

from ..inference import inference_multitask, init_model
from .base import BaseHeadDetector


@TASK_UTILS.register_module()
class MultitaskNetDetector(BaseHeadDetector):
    """The boxes (and scores) a Multitask-Net predicts; its poses are not used.

    Args:
        config: the Multitask-Net config (path or :class:`mmengine.Config`); ignored
            when ``model`` is given.
        checkpoint: its checkpoint.
        device: where the detector runs.
        score_thr: keep detections with at least this score.
        model: an already initialised Multitask-Net (from :func:`headpose.apis.init_model`).
    """

    def __init__(self, config=None, checkpoint: Optional[str] = None, device: str = 'cpu',
                 score_thr: float = 0.3, model: Optional[object] = None):
        if model is None:
            if config is None:
                raise ValueError('MultitaskNetDetector: give a config (and checkpoint) or a model')
            model = init_model(config, checkpoint, device=device)
        self.model = model
        self.score_thr = score_thr

    def detect(self, img: Union[np.ndarray, str], img_path: Optional[str] = None) -> np.ndarray:
        """Boxes ``(K, 5)`` predicted by the Multitask-Net on a BGR image."""
        sample = inference_multitask(self.model, img, score_thr=self.score_thr)
        inst = sample.pred_instances
        boxes = inst.bboxes.cpu().numpy().reshape(-1, 4)
        scores = inst.scores.cpu().numpy().reshape(-1, 1)
        return np.concatenate([boxes, scores], axis=1).astype(np.float32)


__all__ = ['MultitaskNetDetector']
