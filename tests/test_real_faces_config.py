"""The SynthHeads-for-real-faces config: real development set as its test set, realistic crops."""

import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from headpose.registry import DATASETS, MODELS
from headpose.testing import REPO_ROOT, get_config

CONFIG = 'rankpose/r18_cosine_synthheads-real.py'
DEV_SET = osp.join(REPO_ROOT, 'data', 'aflw2000_dev')  # a link to ../shared/data (make)


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('headpose')


@pytest.mark.skipif(not osp.isdir(DEV_SET), reason=f'the development set is absent ({DEV_SET})')
def test_test_set_is_the_real_development_set(monkeypatch):
    cfg = get_config(CONFIG)
    monkeypatch.chdir(REPO_ROOT)  # data_root is relative to the project root, as tools run
    ds = DATASETS.build(cfg.test_dataloader.dataset)
    assert type(ds).__name__ == 'AFLW2000Dataset'
    assert len(ds) == 98 and ds.num_filtered == 2  # the papers' |angle| <= 99 filter
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (3, 64, 64)
    assert not sample['data_samples'].full_range


def test_training_crops_frame_the_face_as_the_protocol_does():
    cfg = get_config(CONFIG)
    train = cfg.train_dataloader.dataset.dataset
    assert train.render_cfg.bbox_source == 'landmarks'
    train.update(num_samples=4, num_identities=2, cache=False)
    ds = DATASETS.build(train)
    info = ds.get_data_info(1)
    x1, y1, x2, y2 = info['gt_bboxes'][0]
    # The face box (brows to chin) sits in the middle of the render: padded 1.5 and
    # jittered, its crop stays within a few pixels of the render (little empty margin).
    side = 1.5 * max(x2 - x1, y2 - y1) * 1.1 * (1 + 0.05)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    assert side < 128
    for c in (cx, cy):
        assert -8 <= c - side / 2 and c + side / 2 <= 128 + 8
    assert tuple(ds[1]['inputs'].shape) == (3, 64, 64)
    poses = np.array([train.yaw_range, train.pitch_range, train.roll_range])
    assert (poses[:, 1] > 40).all()  # wide poses, as in real photographs
    assert train.pose_sampling == 'mixed'  # for the head's two output layers


def test_head_can_answer_large_yaw():
    """The pooled ReLU feature is non-negative: without a norm layer before it, the cosine
    head cannot output a yaw beyond about +-64 degrees, and real profiles reach 90."""
    cfg = get_config(CONFIG)
    assert cfg.model.head.output_transform == 'cosine'
    model = MODELS.build(cfg.model)
    assert isinstance(model.head.feat_norm, torch.nn.BatchNorm1d)
    # Euler angles and head motion, one output layer each; the Euler layer answers
    assert [type(c).__name__ for c in model.pose_codec.codecs] == ['EulerCodec',
                                                                  'HeadMotionCodec']
    assert model.pose_codec.weights == [1.0, 0.0]
    assert model.head.fc.out_features == 6
