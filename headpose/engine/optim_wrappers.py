"""Mixed-precision training without a GPU: bfloat16 autocast on the CPU."""

from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper

from headpose.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUBFloat16OptimWrapper(OptimWrapper):
    """Runs each training step's forward pass under ``torch.autocast('cpu', bfloat16)``.

    What ``tools/train.py --amp`` uses on a machine without CUDA (mmengine's
    ``AmpOptimWrapper`` needs a GPU). bfloat16 has float32's exponent range, so no loss
    scaling is needed; the delicate operations (arccos, SVD, L2 normalisations, the
    losses) run in float32 inside the models (``headpose.models.utils.float32_op``).
    Whether it is faster depends on the CPU's bfloat16 support.
    """

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        with super().optim_context(model), torch.autocast('cpu', dtype=torch.bfloat16):
            yield
