"""HeadPoseDataPreprocessor: colour order, normalisation, pairs and memory format by hand."""

import pytest
import torch

from headpose.models.data_preprocessors import HeadPoseDataPreprocessor


def image(b, g, r, size=4):
    """A uint8 (3, size, size) BGR image of one colour."""
    return torch.tensor([b, g, r], dtype=torch.uint8).view(3, 1, 1).expand(3, size, size) \
        .contiguous()


def test_bgr_to_rgb_and_normalisation_by_hand():
    pre = HeadPoseDataPreprocessor(mean=(10, 20, 30), std=(2, 4, 5))
    out = pre(dict(inputs=[image(130, 60, 40)]))['inputs']
    # RGB = (40, 60, 130): (40 - 10) / 2, (60 - 20) / 4, (130 - 30) / 5
    assert out.shape == (1, 3, 4, 4) and out.dtype == torch.float32
    assert out[0, :, 0, 0].tolist() == pytest.approx([15.0, 10.0, 20.0])
    keep = HeadPoseDataPreprocessor(mean=(10, 20, 30), std=(2, 4, 5), bgr_to_rgb=False)
    assert keep(dict(inputs=[image(130, 60, 40)]))['inputs'][0, :, 0, 0].tolist() == \
        pytest.approx([60.0, 10.0, 2.0])


def test_pairs_are_flattened_firsts_then_seconds():
    pre = HeadPoseDataPreprocessor(mean=(0, 0, 0), std=(1, 1, 1), bgr_to_rgb=False)
    firsts, seconds = [image(1, 1, 1), image(2, 2, 2)], [image(3, 3, 3), image(4, 4, 4)]
    out = pre(dict(inputs=[firsts, seconds], data_samples=[['a', 'b'], ['c', 'd']]))
    assert out['inputs'][:, 0, 0, 0].tolist() == [1, 2, 3, 4]
    assert out['data_samples'] == ['a', 'b', 'c', 'd']


def test_channels_last_gives_the_same_values_in_nhwc():
    imgs = [torch.randint(0, 256, (3, 6, 5), dtype=torch.uint8) for _ in range(3)]
    nchw = HeadPoseDataPreprocessor()(dict(inputs=imgs))['inputs']
    nhwc = HeadPoseDataPreprocessor(channels_last=True)(dict(inputs=imgs))['inputs']
    assert nhwc.is_contiguous(memory_format=torch.channels_last)
    assert nchw.is_contiguous()
    torch.testing.assert_close(nhwc, nchw)
    # against the textbook formula
    mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
    torch.testing.assert_close(nchw, (torch.stack(imgs).flip(1).float() - mean) / std)


def test_images_of_different_sizes_are_refused():
    with pytest.raises(ValueError, match='one size'):
        HeadPoseDataPreprocessor()(dict(inputs=[image(0, 0, 0, 4), image(0, 0, 0, 5)]))
