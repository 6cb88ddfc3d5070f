"""optimize_for_inference: BatchNorm folded, NHWC, the same outputs."""

import torch
import torch.nn as nn

from headpose.models import optimize_for_inference
from headpose.registry import MODELS
from headpose.testing import demo_batch, tiny_rankpose_cfg
from headpose.utils import register_all_modules

register_all_modules()


def test_folded_nhwc_model_predicts_the_same():
    torch.manual_seed(0)
    model = MODELS.build(tiny_rankpose_cfg())
    model.init_weights()
    model.train()
    data = model.data_preprocessor(demo_batch(4, size=32, paired=True), True)
    model(data['inputs'], data['data_samples'], mode='loss')  # non-trivial running stats
    model.eval()
    data = model.data_preprocessor(demo_batch(4, size=32, paired=False), False)
    with torch.no_grad():
        before = model(data['inputs'], mode='tensor')
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    optimize_for_inference(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert not model.training and model.data_preprocessor.channels_last
    fast = model.data_preprocessor(demo_batch(4, size=32, paired=False), False)['inputs']
    assert fast.is_contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        after = model(fast, mode='tensor')
    torch.testing.assert_close(after, before, atol=1e-3, rtol=1e-4)
