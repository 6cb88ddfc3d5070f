"""Fake ImageNet weight files for tests: random tensors under the official key names."""

import torch


def _bn(prefix: str, c: int, counters: bool) -> dict:
    out = {f'{prefix}.weight': torch.rand(c) + 0.5, f'{prefix}.bias': torch.randn(c),
           f'{prefix}.running_mean': torch.randn(c), f'{prefix}.running_var': torch.rand(c) + 0.5}
    if counters:
        out[f'{prefix}.num_batches_tracked'] = torch.tensor(7)
    return out


def torchvision_resnet50_state(counters: bool = False) -> dict:
    """Random tensors under the key names and shapes of torchvision's resnet50 file."""
    sd = {'conv1.weight': torch.randn(64, 3, 7, 7), **_bn('bn1', 64, counters)}
    inp = 64
    for i, blocks in enumerate((3, 4, 6, 3)):
        w = 64 * 2**i
        for j in range(blocks):
            p = f'layer{i + 1}.{j}'
            sd[f'{p}.conv1.weight'] = torch.randn(w, inp if j == 0 else 4 * w, 1, 1)
            sd[f'{p}.conv2.weight'] = torch.randn(w, w, 3, 3)
            sd[f'{p}.conv3.weight'] = torch.randn(4 * w, w, 1, 1)
            for k, c in ((1, w), (2, w), (3, 4 * w)):
                sd.update(_bn(f'{p}.bn{k}', c, counters))
            if j == 0:
                sd[f'{p}.downsample.0.weight'] = torch.randn(4 * w, inp, 1, 1)
                sd.update(_bn(f'{p}.downsample.1', 4 * w, counters))
        inp = 4 * w
    sd['fc.weight'] = torch.randn(1000, 2048)
    sd['fc.bias'] = torch.randn(1000)
    return sd


def mmdet_darknet53_state() -> dict:
    """Random tensors under MMDetection's Darknet-53 key names (ConvModule: conv + bn)."""
    def unit(prefix, cin, cout, k):
        return {f'{prefix}.conv.weight': torch.randn(cout, cin, k, k),
                **_bn(f'{prefix}.bn', cout, True)}
    sd = unit('conv1', 3, 32, 3)
    chans = ((32, 64), (64, 128), (128, 256), (256, 512), (512, 1024))
    for s, (blocks, (cin, cout)) in enumerate(zip((1, 2, 8, 8, 4), chans)):
        sd.update(unit(f'conv_res_block{s + 1}.conv', cin, cout, 3))
        for j in range(blocks):
            sd.update(unit(f'conv_res_block{s + 1}.res{j}.conv1', cout, cout // 2, 1))
            sd.update(unit(f'conv_res_block{s + 1}.res{j}.conv2', cout // 2, cout, 3))
    return sd
