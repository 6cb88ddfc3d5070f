"""tools/model_converters/darknet53_to_headpose.py on a fake darknet53.conv.74 file."""


import numpy as np
import pytest
import torch

from headpose.models.backbones import Darknet
from headpose.testing import load_script


def load_tool():
    return load_script('tools/model_converters/darknet53_to_headpose.py')


def darknet_layers():
    """(filters, channels, size) of darknet53.cfg's 52 convolutions, in file order."""
    layers, c = [(32, 3, 3)], 32
    for n, blocks in zip((64, 128, 256, 512, 1024), (1, 2, 8, 8, 4)):
        layers.append((n, c, 3))
        layers += [(n // 2, n, 1), (n, n // 2, 3)] * blocks
        c = n
    return layers


def test_converter_puts_every_array_in_its_place(tmp_path):
    rng = np.random.default_rng(0)
    header = np.array([0, 2, 0], '<i4').tobytes() + np.array([32013312], '<u8').tobytes()
    chunks = [rng.standard_normal(4 * n + n * c * k * k).astype('<f4')
              for n, c, k in darknet_layers()]
    src = tmp_path / 'darknet53.conv.74'
    src.write_bytes(header + b''.join(x.tobytes() for x in chunks))
    out = str(tmp_path / 'darknet53_headpose.pth')
    tool = load_tool()
    assert tool.main([str(src), out]) == 0
    net = Darknet(init_cfg=dict(type='Pretrained', checkpoint=out))
    net.init_weights()  # strict: every tensor must arrive
    # Layer 0 (the stem): biases, scales, means, variances, then 32 x 3 x 3 x 3 weights.
    first = chunks[0]
    np.testing.assert_array_equal(net.stem[1].bias.detach().numpy(), first[:32])
    np.testing.assert_array_equal(net.stem[1].weight.detach().numpy(), first[32:64])
    np.testing.assert_array_equal(net.stem[1].running_var.numpy(), first[96:128])
    np.testing.assert_array_equal(net.stem[0].weight.detach().numpy().ravel(), first[128:])
    # Layer 3 of the file: stage 1's residual block, its 3x3 conv (64 filters of 32 x 3 x 3).
    fourth = chunks[3]
    np.testing.assert_array_equal(net.stage1[1].conv2[1].running_mean.numpy(), fourth[128:192])
    np.testing.assert_array_equal(net.stage1[1].conv2[0].weight.detach().numpy().ravel(),
                                  fourth[256:])
    last = chunks[-1]  # stage 5's last block, 3x3 conv: 1024 filters of 512 x 3 x 3
    np.testing.assert_array_equal(net.stage5[4].conv2[0].weight.detach().numpy().ravel(),
                                  last[4096:])
    with pytest.raises(SystemExit, match='exists'):
        tool.main([str(src), out])
    # A file of another length is refused, and OUT stays as it was.
    before = torch.load(out, weights_only=True)['stem.0.weight']
    src.write_bytes(header + b''.join(x.tobytes() for x in chunks[:-1]))
    with pytest.raises(ValueError, match='darknet53.conv.74'):
        tool.main([str(src), out, '--overwrite'])
    torch.testing.assert_close(torch.load(out, weights_only=True)['stem.0.weight'], before)
