"""SynthHeads scenes: determinism, labels, occlusion and the on-disk copy written by the tool."""

import importlib.util
import os.path as osp

import numpy as np

from headpose.datasets import CocoHeadPoseDataset, SynthHeadsScenesDataset
from headpose.datasets.synthheads.scenes import render_scene
from headpose.structures import matrix_to_euler
from headpose.testing import REPO_ROOT


def test_scenes_are_a_function_of_seed_and_index():
    a = render_scene(np.random.default_rng([1, 3, 7]), img_size=(96, 64))
    b = render_scene(np.random.default_rng([1, 3, 7]), img_size=(96, 64))
    c = render_scene(np.random.default_rng([1, 3, 8]), img_size=(96, 64))
    np.testing.assert_array_equal(a['img'], b['img'])
    np.testing.assert_array_equal(a['bboxes'], b['bboxes'])
    assert a['img'].shape == (64, 96, 3) and not np.array_equal(a['img'], c['img'])


def test_scene_labels_sizes_poses_and_occlusion():
    scenes = [render_scene(np.random.default_rng([0, 3, i]), img_size=(128, 96),
                           num_heads=(2, 4), head_scale=(0.25, 0.5)) for i in range(24)]
    counts = [len(s['bboxes']) for s in scenes]
    assert min(counts) >= 1 and max(counts) <= 4 and len(set(counts)) > 1
    boxes = np.concatenate([s['bboxes'] for s in scenes])
    assert np.all(boxes[:, :2] >= 0) and np.all(boxes[:, 2] <= 128) and np.all(boxes[:, 3] <= 96)
    assert np.all(boxes[:, 2] > boxes[:, 0]) and np.all(boxes[:, 3] > boxes[:, 1])
    heights = boxes[:, 3] - boxes[:, 1]
    assert heights.max() > 1.5 * heights.min()  # different sizes
    yaws = np.concatenate([s['poses'][:, 0] for s in scenes])
    assert np.any(np.abs(yaws) > 120) and np.any(np.abs(yaws) < 60)  # full range
    rots = np.concatenate([s['rotations'] for s in scenes])
    np.testing.assert_allclose(matrix_to_euler(rots, full_range=True),
                               np.concatenate([s['poses'] for s in scenes]), atol=1e-6)
    visible = np.concatenate([s['visible'] for s in scenes])
    assert np.all((visible >= 0) & (visible <= 1)) and np.any(visible < 0.95)  # occlusion


def test_dataset_and_converter_agree(tmp_path):
    cfg = dict(num_samples=3, seed=4, img_size=(80, 64), num_heads=(1, 3))
    ds = SynthHeadsScenesDataset(pipeline=[], **cfg)
    spec = importlib.util.spec_from_file_location('make_synthheads_scenes', osp.join(
        REPO_ROOT, 'tools', 'dataset_converters', 'make_synthheads_scenes.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    ann = tool.main([str(tmp_path), '--split', 'val', '--num-samples', '3', '--seed', '4',
                     '--img-size', '80', '64', '--num-heads', '1', '3'])
    assert ann == str(tmp_path / 'annotations' / 'val.json')
    disk = CocoHeadPoseDataset(ann_file='annotations/val.json', data_root=str(tmp_path),
                               data_prefix=dict(img='images/val/'), test_mode=True,
                               pipeline=[dict(type='LoadImage')])
    assert len(disk) == len(ds) == 3
    for i in range(3):
        live, stored = ds.get_data_info(i), disk[i]
        np.testing.assert_array_equal(stored['img'], live['img'])  # PNG: bit for bit
        np.testing.assert_allclose(stored['gt_bboxes'], live['gt_bboxes'], atol=1e-4)
        np.testing.assert_allclose(stored['gt_rotations'], live['gt_rotations'], atol=1e-9)
