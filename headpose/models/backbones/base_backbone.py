"""What the backbones share: frozen early stages and batch norms kept in eval mode."""

from typing import List

import torch.nn as nn
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm


class BaseBackbone(BaseModule):
    """A backbone whose first stages can be frozen and whose norms can stay in eval mode.

    Subclasses set ``self.frozen_stages`` and ``self.norm_eval`` and implement
    :meth:`frozen_modules`; the stages it returns get no gradient and stay in eval mode
    through every ``train()`` call, and with ``norm_eval`` every batch norm does too.
    """

    frozen_stages: int = -1
    norm_eval: bool = False

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
