"""Tests of noise, blur, loading and packing."""

import cv2
import numpy as np
import pytest
import torch

from headpose.datasets import ImageReadError
from headpose.datasets.transforms import GaussianBlur, GaussianNoise, LoadImage, PackHeadPoseInputs
from headpose.structures import euler_to_matrix


def test_gaussian_noise_statistics():
    np.random.seed(0)
    img = np.full((200, 200, 3), 128, np.uint8)
    out = GaussianNoise(prob=1.0, std_range=(5.0, 5.0))(dict(img=img))['img']
    diff = out.astype(float) - 128
    assert abs(diff.mean()) < 0.2 and 4.7 < diff.std() < 5.3
    assert GaussianNoise(prob=0.0)(dict(img=img))['img'] is img


def test_gaussian_noise_uint8_pass_equals_the_float_formula():
    """The one-pass uint8 sum rounds and saturates like clip(rint(img + std * noise))."""
    img = (np.random.default_rng(3).random((40, 30, 3)) * 255).astype(np.uint8)
    img[:5] = 0
    img[-5:] = 255  # saturation at both ends
    np.random.seed(7)
    out = GaussianNoise(prob=1.0, std_range=(2.0, 10.0))(dict(img=img))['img']
    np.random.seed(7)  # the same draws, by hand
    np.random.rand()
    std = np.random.uniform(2.0, 10.0)
    start = np.random.randint(0, (1 << 22) - img.size + 1)
    from headpose.datasets.transforms.photometric import _standard_normal_table
    noise = _standard_normal_table()[start:start + img.size].reshape(img.shape)
    expected = np.clip(np.rint(img.astype(np.float64) + noise.astype(np.float64) * std), 0, 255)
    assert out.dtype == np.uint8
    # float32 vs float64 arithmetic may round a value lying on .5 differently
    assert np.abs(out.astype(int) - expected).max() <= 1
    assert (out.astype(int) != expected).mean() < 1e-3
    assert (out[:5] == 0).mean() > 0.3 and (out[-5:] == 255).mean() > 0.3


@pytest.mark.parametrize('sigma', [0.1, 0.7, 1.5, 2.0])
def test_gaussian_blur_matches_opencv(sigma):
    np.random.seed(0)
    img = (np.random.rand(48, 40, 3) * 255).astype(np.uint8)
    out = GaussianBlur(prob=1.0, sigma_range=(sigma, sigma))(dict(img=img.copy()))['img']
    ref = cv2.GaussianBlur(img, (0, 0), sigma, sigmaY=sigma)
    assert out.shape == img.shape and out.dtype == np.uint8
    # the same kernel applied separably: at most one grey level of rounding apart
    assert np.abs(out.astype(int) - ref.astype(int)).max() <= 1


def test_load_image_formats_and_errors(tmp_path):
    gray = np.arange(64, dtype=np.uint8).reshape(8, 8)
    path = str(tmp_path / 'g.png')
    cv2.imwrite(path, gray)
    out = LoadImage()(dict(img_path=path))
    assert out['img'].shape == (8, 8, 3) and out['ori_shape'] == (8, 8)
    rgba = np.zeros((4, 4, 4), np.uint8)
    assert LoadImage()(dict(img=rgba))['img'].shape == (4, 4, 3)
    with pytest.raises(ImageReadError, match='missing.jpg'):
        LoadImage()(dict(img_path=str(tmp_path / 'missing.jpg')))
    bad = tmp_path / 'broken.jpg'
    bad.write_bytes(b'not an image')
    with pytest.raises(ImageReadError, match='broken.jpg'):
        LoadImage()(dict(img_path=str(bad)))


@pytest.mark.parametrize('ext', ['.jpg', '.png'])
def test_load_image_refuses_a_truncated_file(tmp_path, ext):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (120, 120, 3), dtype=np.uint8)
    full = str(tmp_path / f'full{ext}')
    cv2.imwrite(full, img)
    data = open(full, 'rb').read()
    assert LoadImage()(dict(img_path=full))['img'].shape == (120, 120, 3)
    cut = tmp_path / f'cut{ext}'
    cut.write_bytes(data[:len(data) // 3])  # OpenCV decodes the first third of a JPEG
    with pytest.raises(ImageReadError, match=f'truncated .*cut{ext}'):
        LoadImage()(dict(img_path=str(cut)))
    padded = tmp_path / f'padded{ext}'
    padded.write_bytes(data + b'\0' * 16)  # bytes after the end marker are harmless
    assert LoadImage()(dict(img_path=str(padded)))['img'].shape == (120, 120, 3)


def test_pack_inputs():
    rot = euler_to_matrix(np.array([150.0, 10.0, -20.0]))
    img = np.zeros((6, 5, 3), np.uint8)
    img[..., 2] = 7
    out = PackHeadPoseInputs()(dict(img=img, gt_rotations=rot[None], full_range=True,
                                    img_path='a.png', gt_bboxes=np.array([[0, 0, 5, 6]])))
    assert out['inputs'].shape == (3, 6, 5) and out['inputs'].dtype == torch.uint8
    assert out['inputs'][2].max() == 7
    sample = out['data_samples']
    inst = sample.gt_instances  # a crop is an image with one instance
    torch.testing.assert_close(inst.rotations, torch.as_tensor(rot[None], dtype=torch.float32))
    torch.testing.assert_close(inst.bboxes, torch.tensor([[0.0, 0.0, 5.0, 6.0]]))
    assert inst.labels.tolist() == [0] and 'poses' not in inst  # angles are derived later
    assert sample.img_path == 'a.png' and sample.full_range is True
    # Without a box the whole image is the head; without rotations there are no labels.
    whole = PackHeadPoseInputs()(dict(img=img, gt_rotations=rot[None]))['data_samples']
    torch.testing.assert_close(whole.gt_instances.bboxes, torch.tensor([[0.0, 0.0, 5.0, 6.0]]))
    assert 'gt_instances' not in PackHeadPoseInputs()(dict(img=img))['data_samples']
    with pytest.raises(ValueError, match='2 gt_bboxes but 1 gt_rotations'):
        PackHeadPoseInputs()(dict(img=img, gt_rotations=rot[None], gt_bboxes=np.zeros((2, 4))))


@pytest.mark.parametrize('shape', [(7, 5, 3), (7, 5, 1), (7, 5, 4)])
def test_pack_chw_layout_and_meta_copies(shape):
    img = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    bbox = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    for src in (img, img[:, ::-1]):  # contiguous and strided inputs
        out = PackHeadPoseInputs()(dict(img=src, gt_rotations=np.eye(3)[None], ori_bbox=bbox))
        np.testing.assert_array_equal(out['inputs'].numpy(), src.transpose(2, 0, 1))
        assert out['inputs'].is_contiguous()
    meta_bbox = out['data_samples'].ori_bbox
    np.testing.assert_array_equal(meta_bbox, bbox)
    meta_bbox[0] = 99  # the sample's meta data never aliases the pipeline's arrays
    assert bbox[0] == 1.0


def test_random_grayscale():
    from headpose.datasets.transforms import RandomGrayscale
    img = (np.random.default_rng(0).random((20, 30, 3)) * 255).astype(np.uint8)
    out = RandomGrayscale(prob=1.0)(dict(img=img.copy()))['img']
    assert out.shape == img.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[..., 0], out[..., 1])
    np.testing.assert_array_equal(out[..., 0], cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))
    assert RandomGrayscale(prob=0.0)(dict(img=img))['img'] is img


def test_jpeg_compression():
    from headpose.datasets.transforms import JPEGCompression
    rng = np.random.default_rng(1)
    img = cv2.GaussianBlur((rng.random((64, 64, 3)) * 255).astype(np.uint8), (0, 0), 2)
    np.random.seed(0)
    low = JPEGCompression(prob=1.0, quality_range=(5, 5))(dict(img=img))['img']
    high = JPEGCompression(prob=1.0, quality_range=(95, 95))(dict(img=img))['img']
    assert low.shape == img.shape and low.dtype == np.uint8
    err = [np.abs(x.astype(int) - img).mean() for x in (low, high)]
    assert 0 < err[1] < err[0]  # lossy, and more so at low quality
    with pytest.raises(ValueError, match='quality_range'):
        JPEGCompression(quality_range=(0, 50))
