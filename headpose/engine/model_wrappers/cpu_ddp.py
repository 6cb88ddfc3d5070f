"""DistributedDataParallel that also runs on CPU-only machines (gloo)."""

import torch
from mmengine.model import MMDistributedDataParallel

from headpose.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class HeadPoseDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's DDP wrapper, without ``device_ids`` when the model is on the CPU.

    mmengine passes ``device_ids=[LOCAL_RANK]``, which DDP rejects for CPU modules;
    the tools select this wrapper when CUDA is absent.
    """

    def __init__(self, module, device_ids=None, **kwargs):
        if not torch.cuda.is_available() or next(module.parameters()).device.type == 'cpu':
            device_ids = None
        super().__init__(module=module, device_ids=device_ids, **kwargs)
