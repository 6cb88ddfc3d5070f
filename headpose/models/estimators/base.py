"""The estimators' shared routing: backbone -> neck -> head, and results onto the samples."""

import inspect
from typing import List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData

from headpose.registry import MODELS
from headpose.structures import HeadPoseDataSample


class BasePoseEstimator(BaseModel):
    """Routes inputs through backbone, neck and head; the head owns loss and decoding.

    ``forward(mode='loss')`` returns ``head.loss(feats, data_samples)``;
    ``mode='predict'`` sets each sample's ``pred_instances`` from
    ``head.predict(feats, data_samples)`` (one ``InstanceData`` per image, see
    :meth:`add_pred_to_datasample`); ``mode='tensor'`` returns ``head(feats)``. With
    ``test_cfg=dict(flip_test=True)`` the features of the horizontally flipped inputs are
    passed to the head's ``predict`` too, whose codec merges both by the flip rule; a
    head or codec that cannot is refused when the model is built. With
    ``data_preprocessor=dict(channels_last=True)`` the weights are stored NHWC too.

    Args:
        backbone: backbone config.
        head: head config.
        neck: neck config, optional.
        test_cfg: ``dict(flip_test=bool)``.
        data_preprocessor: data preprocessor config.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self, backbone: dict, head: dict, neck: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)
        self.test_cfg = dict(test_cfg or {})
        if getattr(self.data_preprocessor, 'channels_last', False):
            # NHWC batches want NHWC weights: with the weights left NCHW, oneDNN converts
            # around every convolution and training got slower instead of faster.
            self.to(memory_format=torch.channels_last)
        if self.flip_test:
            self._check_flip_support()

    @property
    def flip_test(self) -> bool:
        return bool(self.test_cfg.get('flip_test', False))

    @property
    def pose_codec(self):
        """The codec of the pose head: what the outputs mean (``full_range``, ...)."""
        return self.head.codec

    def _check_flip_support(self) -> None:
        name = type(self).__name__
        head = type(self.head).__name__
        if 'flipped_feats' not in inspect.signature(self.head.predict).parameters:
            raise ValueError(
                f'{name}: test_cfg.flip_test=True, but {head}.predict() takes no '
                'flipped_feats; give it a `flipped_feats=None` argument (see '
                "RankPoseHead.predict and the codecs' merge_flip) or set "
                'model.test_cfg.flip_test=False')
        codec = getattr(self.head, 'codec', None)
        if codec is not None and not getattr(codec, 'supports_flip', True):
            raise ValueError(f'{name}: test_cfg.flip_test=True, but the codec {codec!r} of '
                             f'{head} has no merge_flip; set model.test_cfg.flip_test=False')

    def extract_feat(self, inputs: torch.Tensor):
        """The backbone's (and neck's) features of a batch."""
        feats = self.backbone(inputs)
        return self.neck(feats) if self.neck is not None else feats

    def flip_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """The horizontally flipped batch, for the flip test."""
        return inputs.flip(-1)

    def forward(self, inputs: torch.Tensor,
                data_samples: Optional[List[HeadPoseDataSample]] = None,
                mode: str = 'tensor') -> Union[dict, list, torch.Tensor, tuple]:
        feats = self.extract_feat(inputs)
        if mode == 'loss':
            return self.head.loss(feats, data_samples)
        if mode == 'predict':
            if self.flip_test:
                flipped = self.extract_feat(self.flip_inputs(inputs))
                results = self.head.predict(feats, data_samples, flipped_feats=flipped)
            else:
                results = self.head.predict(feats, data_samples)
            return self.add_pred_to_datasample(results, data_samples)
        if mode == 'tensor':
            return self.head(feats)
        raise ValueError(f"{type(self).__name__}: mode must be 'loss', 'predict' or 'tensor', "
                         f'got {mode!r}')

    def add_pred_to_datasample(self, results: List[InstanceData],
                               data_samples: List[HeadPoseDataSample]
                               ) -> List[HeadPoseDataSample]:
        """Sets each sample's ``pred_instances`` to its image's results."""
        if len(results) != len(data_samples):
            raise ValueError(f'{type(self.head).__name__}.predict gave {len(results)} results '
                             f'for {len(data_samples)} images')
        for sample, inst in zip(data_samples, results):
            sample.pred_instances = inst
        return data_samples


def has_trained_weights(model_cfg: dict) -> bool:
    """Whether the model of a config has trained weights to load (the registered class of
    ``model_cfg['type']``; one with ``trainable = False``, such as the landmark route's
    ``FaceMeshPoseEstimator``, has none). Looked up in the current default scope."""
    return getattr(MODELS.get(model_cfg['type']), 'trainable', True)


__all__ = ['BasePoseEstimator', 'has_trained_weights']
