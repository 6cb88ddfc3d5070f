"""Convert darknet's ImageNet weights ``darknet53.conv.74`` into a state dict of headpose's Darknet.

``python tools/model_converters/darknet53_to_headpose.py darknet53.conv.74 OUT.pth [--overwrite]``

The file (Redmon's, https://pjreddie.com/media/files/darknet53.conv.74) holds the first
75 layers of ``darknet53.cfg``: its 52 convolutional layers (the shortcut layers have no
weights). Layout, all little-endian: a header of int32 major, minor, revision and a
``seen`` counter (uint64 if ``major * 10 + minor >= 2``, else int32); then per
convolutional layer, in the order of the cfg, float32 arrays: the batch norm's biases
(beta), scales (gamma), rolling means and rolling variances (``n`` each, ``n`` the
layer's filters), then the ``n x c x k x k`` convolution weights. The cfg's order is
headpose's: the stem, then per stage the stride-2 convolution and each residual block's
1x1 and 3x3 convolutions. The file must hold exactly those floats: a shorter or longer
one is an error.

Use the result with ``--cfg-options model.backbone.init_cfg.checkpoint=OUT.pth`` (its keys
are headpose's). One difference remains: darknet normalises by ``sqrt(var) + 1e-6``,
PyTorch by ``sqrt(var + 1e-5)``.
"""

import argparse
import os
import os.path as osp
import sys
from typing import Dict, Optional, Sequence

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from headpose.models.backbones.darknet import ConvBNLeaky, Darknet  # noqa: E402


def read_header(data: bytes, path: str) -> int:
    """The byte offset where the weights of ``data`` (a darknet weight file) begin."""
    if len(data) < 16:
        raise ValueError(f'{path}: {len(data)} bytes, too short for a darknet header')
    major, minor, _ = np.frombuffer(data[:12], dtype='<i4')
    return 20 if major * 10 + minor >= 2 and major < 1000 and minor < 1000 else 16


def convert(data: bytes, path: str = 'weights') -> Dict[str, torch.Tensor]:
    """headpose ``Darknet(depth=53)`` state dict from the bytes of ``darknet53.conv.74``."""
    floats = np.frombuffer(data[read_header(data, path):], dtype='<f4')
    net = Darknet(depth=53, init_cfg=None)
    units = [(name, m) for name, m in net.named_modules() if isinstance(m, ConvBNLeaky)]
    expected = sum(4 * m[0].out_channels + m[0].weight.numel() for _, m in units)
    if floats.size != expected:
        raise ValueError(f'{path}: {floats.size} weights after the header, but the 52 '
                         f'convolutions of Darknet-53 need {expected}; is it darknet53.conv.74?')
    state, pos = {}, 0

    def take(shape) -> torch.Tensor:
        nonlocal pos
        n = int(np.prod(shape))
        out = torch.from_numpy(floats[pos:pos + n].copy()).reshape(shape)
        pos += n
        return out

    for name, unit in units:
        conv, n = unit[0], unit[0].out_channels
        state[f'{name}.1.bias'] = take((n, ))
        state[f'{name}.1.weight'] = take((n, ))
        state[f'{name}.1.running_mean'] = take((n, ))
        state[f'{name}.1.running_var'] = take((n, ))
        state[f'{name}.0.weight'] = take(tuple(conv.weight.shape))
    return state


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='darknet53.conv.74')
    parser.add_argument('out', help='the .pth file to write')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing OUT')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.src):
        raise SystemExit(f'{args.src}: no such file')
    if osp.exists(args.out) and not args.overwrite:
        raise SystemExit(f'{args.out} exists; pass --overwrite to replace it')
    with open(args.src, 'rb') as f:
        state = convert(f.read(), args.src)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    tmp = args.out + '.part'
    torch.save(state, tmp)  # written aside, then renamed: a failure leaves OUT as it was
    os.replace(tmp, args.out)
    print(f'{args.out}: {len(state)} tensors of Darknet-53 from {args.src}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
