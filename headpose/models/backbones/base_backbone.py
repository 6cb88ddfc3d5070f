"""What the backbones share: pretrained loading, frozen early stages, norms kept in eval."""

from typing import Callable, List, Optional

import torch.nn as nn
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from .pretrained import is_pretrained, load_pretrained


class BaseBackbone(BaseModule):
    """A backbone whose first stages can be frozen and whose norms can stay in eval mode.

    Subclasses set ``self.frozen_stages`` and ``self.norm_eval`` and implement
    :meth:`frozen_modules`; the stages it returns get no gradient and stay in eval mode
    through every ``train()`` call, and with ``norm_eval`` every batch norm does too.
    With ``init_cfg=dict(type='Pretrained', checkpoint=...)`` the weights come from the
    official file through ``pretrained_keys`` (its key names onto this backbone's, see
    :mod:`headpose.models.backbones.pretrained`), loaded strictly.
    """

    frozen_stages: int = -1
    norm_eval: bool = False
    #: ``state -> (state with this backbone's names, ignored keys)`` of official files.
    pretrained_keys: Optional[Callable] = None

    @property
    def pretrained(self) -> bool:
        """Whether the weights come from a pretrained file."""
        return is_pretrained(self.init_cfg)

    def init_weights(self) -> None:
        if not self.pretrained:
            super().init_weights()
            return
        if self.pretrained_keys is None:
            raise ValueError(f'{type(self).__name__} cannot load pretrained files: it names '
                             'no pretrained_keys')
        load_pretrained(self, self.init_cfg, type(self).pretrained_keys)
        self._is_init = True

    def frozen_modules(self) -> List[nn.Module]:
        """The modules that ``frozen_stages`` freezes, in order."""
        raise NotImplementedError

    def _freeze_stages(self) -> None:
        for m in self.frozen_modules():
            m.eval()
            for p in m.parameters():
                p.requires_grad = False

    def train(self, mode: bool = True) -> 'BaseBackbone':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self


__all__ = ['BaseBackbone']
