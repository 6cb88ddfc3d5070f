"""The top-down estimator: one head crop in, one pose out."""

import inspect
from typing import List, Optional, Union

import torch
from mmengine.model import BaseModel

from headpose.registry import MODELS
from headpose.structures import HeadPoseDataSample


@MODELS.register_module()
class TopDownPoseEstimator(BaseModel):
    """Backbone -> neck -> pose head, for crops of one head each (RankPose).

    It only routes features: the head owns the loss and the decoding. With
    ``test_cfg=dict(flip_test=True)`` the features of the horizontally flipped crops
    are passed to the head's ``predict`` too, which averages both predictions. With
    ``data_preprocessor=dict(channels_last=True)`` the weights are stored NHWC too.

    Args:
        backbone: backbone config.
        head: pose head config.
        neck: neck config (e.g. ``GlobalAveragePooling``), optional.
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
        if self.test_cfg.get('flip_test', False) and \
                'flipped_feats' not in inspect.signature(self.head.predict).parameters:
            raise ValueError(
                f'TopDownPoseEstimator: test_cfg.flip_test=True, but '
                f'{type(self.head).__name__}.predict() takes no flipped_feats; give it a '
                '`flipped_feats=None` argument (see RankPoseHead.predict and the codecs\' '
                'merge_flip) or set model.test_cfg.flip_test=False')

    def extract_feat(self, inputs: torch.Tensor) -> tuple:
        feats = self.backbone(inputs)
        return self.neck(feats) if self.neck is not None else feats

    def forward(self, inputs: torch.Tensor,
                data_samples: Optional[List[HeadPoseDataSample]] = None,
                mode: str = 'tensor') -> Union[dict, list, torch.Tensor]:
        feats = self.extract_feat(inputs)
        if mode == 'loss':
            return self.head.loss(feats, data_samples)
        if mode == 'predict':
            if self.test_cfg.get('flip_test', False):
                flipped = self.extract_feat(inputs.flip(-1))
                return self.head.predict(feats, data_samples, flipped_feats=flipped)
            return self.head.predict(feats, data_samples)
        if mode == 'tensor':
            return self.head(feats)
        raise ValueError(f"TopDownPoseEstimator: mode must be 'loss', 'predict' or 'tensor', "
                         f'got {mode!r}')
