"""Tests of tools/analysis_tools/vis_activations.py and browse_dataset.py."""

import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from headpose.datasets import SynthHeadsDataset
from headpose.registry import MODELS
from headpose.testing import REPO_ROOT, load_script

QUICKSTART = osp.join(REPO_ROOT, 'configs/rankpose/r18_arccos_synthheads.py')
TINY = osp.join(REPO_ROOT, 'tests/data/configs/tiny_rankpose_synthheads.py')


def load_tool(name):
    return load_script(f'tools/analysis_tools/{name}.py', 'tool_' + name)


@pytest.fixture(scope='module')
def checkpoint_and_images(tmp_path_factory):
    """A randomly initialised quick-start model saved as a checkpoint, and two head images."""
    root = tmp_path_factory.mktemp('vis')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(QUICKSTART).model)
    model.init_weights()
    ckpt = str(root / 'random_r18.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)
    dataset = SynthHeadsDataset(num_samples=2, num_identities=2, seed=5, img_size=96,
                                pipeline=[])
    images = []
    for idx in range(2):
        path = str(root / f'head{idx}.png')
        cv2.imwrite(path, dataset.get_data_info(idx)['img'])
        images.append(path)
    return ckpt, images


def test_vis_activations_draws_maps_and_variances(checkpoint_and_images, tmp_path, capsys):
    tool = load_tool('vis_activations')
    ckpt, images = checkpoint_and_images
    out = str(tmp_path / 'fig.png')
    result = tool.main([QUICKSTART, ckpt, *images, '--stages', '1', '2', '3', '4',
                        '--layers', 'backbone.layer3.1', '--out', out])
    # 64 x 64 crops: strides 4, 8, 16, 32.
    shapes = {name: r['shape'] for name, r in result.items()}
    assert shapes == {'backbone.layer1': (64, 16, 16), 'backbone.layer2': (128, 8, 8),
                      'backbone.layer3': (256, 4, 4), 'backbone.layer4': (512, 2, 2),
                      'backbone.layer3.1': (256, 4, 4)}
    for r in result.values():
        assert r['variance'].shape == (r['shape'][0], ) and np.all(r['variance'] >= 0)
        assert r['variance'].max() > 0
    # layer3 is the output of its last block.
    np.testing.assert_allclose(result['backbone.layer3']['variance'],
                               result['backbone.layer3.1']['variance'])
    with open(out, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    fig = cv2.imread(out)
    # Rows: two images and the histograms; columns: the input and five modules.
    assert fig is not None and fig.shape[1] > 1.5 * fig.shape[0] and fig.std() > 20
    assert re.search(r'backbone\.layer4 +\| 512x2x2 ', capsys.readouterr().out)


def test_channel_variance_is_over_positions_and_images():
    tool = load_tool('vis_activations')
    a = np.zeros((2, 2, 2))
    a[0] = [[0, 2], [0, 2]]  # channel 0 varies in space, channel 1 is constant
    b = np.zeros((2, 2, 2))
    b[1] = 4.0               # channel 1 differs between the images
    np.testing.assert_allclose(tool.channel_variance([a, b]), [0.75, 4.0])


def test_vis_activations_names_a_missing_stage(checkpoint_and_images, tmp_path):
    tool = load_tool('vis_activations')
    ckpt, images = checkpoint_and_images
    with pytest.raises(SystemExit, match='stage 5: .*layer4'):
        tool.main([QUICKSTART, ckpt, images[0], '--stages', '5', '--out',
                   str(tmp_path / 'x.png')])


def test_browse_dataset_draws_pairs_and_a_montage(tmp_path):
    tool = load_tool('browse_dataset')
    paths = tool.main([TINY, '--phase', 'train', '--max-items', '3', '--output-dir',
                       str(tmp_path)])
    assert len(paths) == 3
    first = cv2.imread(paths[0])
    # A pair of 32 px crops, enlarged to 160 px each and drawn side by side.
    assert first.shape[0] == 160 and first.shape[1] == 2 * (160 + 4)
    montage = cv2.imread(str(tmp_path / 'montage.jpg'))
    assert montage.shape[:2] == (160, 3 * first.shape[1])
