"""Tests of SynthHeadsDataset: determinism, labels, identities, and the disk writer."""

import json

import numpy as np
import pytest

from headpose.datasets import SynthHeadsDataset, TopDownCocoDataset
from headpose.structures import head_motion_to_matrix, matrix_to_euler, matrix_to_head_motion
from headpose.testing import REPO_ROOT


def make(seed=0, **kw):
    return SynthHeadsDataset(num_samples=12, num_identities=3, seed=seed, img_size=64,
                             pipeline=[], **kw)


def test_deterministic_from_seed_and_index():
    a, b = make(), make()
    for i in (0, 5, 11):
        ia, ib = a.get_data_info(i), b.get_data_info(i)
        np.testing.assert_array_equal(ia['img'], ib['img'])
        np.testing.assert_array_equal(ia['gt_rotations'][0], ib['gt_rotations'][0])
    assert not np.array_equal(make(seed=1).get_data_info(0)['img'], a.get_data_info(0)['img'])


def test_labels_in_range_and_identities():
    ds = SynthHeadsDataset(num_samples=200, num_identities=7, img_size=32, pipeline=[],
                           yaw_range=(-30, 30), pitch_range=(-10, 10), roll_range=(0, 5))
    angles = matrix_to_euler(np.stack([ds.get_rotations(i)[0] for i in range(len(ds))]))
    assert angles[:, 0].min() >= -30 and angles[:, 0].max() <= 30
    assert angles[:, 1].min() >= -10 and angles[:, 2].min() >= 0 and angles[:, 2].max() <= 5
    assert angles[:, 0].std() > 10  # really spread over the range
    assert [ds.get_identity(i) for i in range(8)] == [0, 1, 2, 3, 4, 5, 6, 0]


def test_bbox_inside_image():
    info = make().get_data_info(3)
    x1, y1, x2, y2 = info['gt_bboxes'][0]
    assert 0 <= x1 < x2 <= 64 and 0 <= y1 < y2 <= 64


def test_invalid_sizes():
    with pytest.raises(ValueError, match='num_samples'):
        SynthHeadsDataset(num_samples=0, pipeline=[])


def test_make_synthheads_round_trip(tmp_path):
    import runpy
    mod = runpy.run_path(f'{REPO_ROOT}/tools/dataset_converters/make_synthheads.py')
    out = str(tmp_path / 'synth')
    ann = mod['main']([out, '--num-samples', '6', '--num-identities', '2', '--img-size', '48'])
    coco = json.load(open(ann))
    assert len(coco['images']) == 6 and coco['annotations'][0]['identity'] == 0
    back = TopDownCocoDataset(ann_file=ann, data_prefix=dict(img=f'{out}/images'),
                              pipeline=[dict(type='LoadImage')])
    ref = make_like = SynthHeadsDataset(num_samples=6, num_identities=2, img_size=48,
                                        yaw_range=(-90, 90), pitch_range=(-60, 60),
                                        roll_range=(-45, 45), pipeline=[])
    for i in range(6):
        np.testing.assert_allclose(back.get_rotations(i)[0], ref.get_rotations(i)[0], atol=1e-9)
        np.testing.assert_array_equal(back[i]['img'], make_like.get_data_info(i)['img'])
    with pytest.raises(SystemExit, match='overwrite'):
        mod['main']([out, '--num-samples', '2'])


def test_make_synthheads_renders_what_a_config_trains_on(tmp_path):
    """--config takes the config's rendering, faces and poses; --num-samples replaces
    its size; a config without SynthHeads is refused by name."""
    import runpy

    from mmengine.config import Config
    mod = runpy.run_path(f'{REPO_ROOT}/tools/dataset_converters/make_synthheads.py')
    config = f'{REPO_ROOT}/configs/rankpose/r18_cosine_synthheads-real.py'
    out = str(tmp_path / 'real')
    ann = mod['main']([out, '--config', config, '--num-samples', '3'])
    trained = Config.fromfile(config).train_dataloader.dataset.dataset.to_dict()
    assert trained['num_samples'] == 20000 and trained['render_cfg']['face_detail']
    trained.update(num_samples=3, pipeline=[])
    del trained['type']
    ref = SynthHeadsDataset(**trained)
    default = SynthHeadsDataset(num_samples=3, pipeline=[])
    back = TopDownCocoDataset(ann_file=ann, data_prefix=dict(img=f'{out}/images'),
                              pipeline=[dict(type='LoadImage')])
    assert len(back) == 3
    for i in range(3):
        np.testing.assert_array_equal(back[i]['img'], ref.get_data_info(i)['img'])
        np.testing.assert_allclose(back.get_rotations(i)[0], ref.get_rotations(i)[0],
                                   atol=1e-9)
        assert not np.array_equal(back[i]['img'], default.get_data_info(i)['img'])
    with pytest.raises(SystemExit, match='r50_arccos_300wlp.py: train_dataloader has no '
                                         'SynthHeadsDataset'):
        mod['main']([str(tmp_path / 'x'), '--config',
                     f'{REPO_ROOT}/configs/rankpose/r50_arccos_300wlp.py'])
    with pytest.raises(SystemExit, match='val_dataloader has no SynthHeadsDataset'):
        mod['main']([str(tmp_path / 'x'), '--split', 'val', '--config',
                     f'{REPO_ROOT}/tests/data/configs/tiny_rankpose_synthheads_iters.py'])


def test_face_like_pose_distribution():
    from headpose.datasets.synthheads.dataset import sample_poses
    p = sample_poses(np.random.default_rng(0), 20000, (-75, 75), (-45, 45), (-30, 30),
                     pitch_std=15, roll_std=10)
    assert abs(p[:, 0].std() - 150 / np.sqrt(12)) < 1.0  # uniform yaw
    assert abs(p[:, 1].std() - 15) < 0.5 and abs(p[:, 2].std() - 10) < 0.5
    assert p[:, 1].min() >= -45 and p[:, 2].max() <= 30


def test_render_cfg_reaches_the_renderer_and_is_checked():
    plain = make().get_data_info(2)
    real = make(render_cfg=dict(scale=0.65, bbox_source='landmarks',
                                background_style='natural', face_detail=True)).get_data_info(2)
    assert not np.array_equal(plain['img'], real['img'])
    np.testing.assert_array_equal(plain['gt_rotations'], real['gt_rotations'])
    # The landmark box (brows to chin) is shorter than the whole head's box.
    h_plain = plain['gt_bboxes'][0, 3] - plain['gt_bboxes'][0, 1]
    h_real = real['gt_bboxes'][0, 3] - real['gt_bboxes'][0, 1]
    assert h_real < 0.85 * h_plain * 0.65 / 0.6
    with pytest.raises(ValueError, match=r"unknown keys \['colour'\]"):
        make(render_cfg=dict(colour=1))


def test_pose_sampling_head_motion():
    kw = dict(num_samples=3000, num_identities=7, img_size=32, pipeline=[],
              yaw_range=(-90, 90), pitch_range=(-50, 50), roll_range=(-45, 45),
              pitch_std=18, roll_std=18)
    euler = SynthHeadsDataset(**kw)
    motion = SynthHeadsDataset(pose_sampling='head_motion', **kw)
    rot_e = np.stack([euler.get_rotations(i)[0] for i in range(len(euler))])
    rot_m = np.stack([motion.get_rotations(i)[0] for i in range(len(motion))])
    # The same three numbers, read as (turn, nod, tilt) instead of (yaw, pitch, roll).
    drawn = matrix_to_euler(rot_e)
    np.testing.assert_allclose(rot_m, head_motion_to_matrix(drawn), atol=1e-12)
    np.testing.assert_allclose(matrix_to_head_motion(rot_m), drawn, atol=1e-9)
    # At large yaw the Euler labels of nodding heads couple pitch and roll (pitch ~ roll
    # for yaw > 0, pitch ~ -roll for yaw < 0), as AFLW2000's profiles do; drawn as Euler
    # angles they stay independent.
    for rot, low, high in ((rot_m, 0.9, 1.0), (rot_e, -0.1, 0.1)):
        angles = matrix_to_euler(rot)
        big = np.abs(angles[:, 0]) > 70
        corr = np.corrcoef(angles[big, 1], np.sign(angles[big, 0]) * angles[big, 2])[0, 1]
        assert low < corr < high
    with pytest.raises(ValueError, match="pose_sampling must be one of.*'yxz'"):
        make(pose_sampling='yxz')


def test_pose_sampling_mixed_alternates_by_person():
    """Sample i is of person i % n; its drawn angles are head motion when i // n is odd
    and Euler angles otherwise, so every person (here 7, with 28 samples) has both."""
    kw = dict(num_samples=28, num_identities=7, img_size=32, pipeline=[], pitch_std=18,
              roll_std=18)
    rots = {name: np.stack([d.get_rotations(i)[0] for i in range(28)]) for name, d in (
        (s, SynthHeadsDataset(pose_sampling=s, **kw)) for s in ('euler', 'head_motion',
                                                                 'mixed'))}
    motion = np.array([(i // 7) % 2 == 1 for i in range(28)])
    np.testing.assert_array_equal(rots['mixed'][motion], rots['head_motion'][motion])
    np.testing.assert_array_equal(rots['mixed'][~motion], rots['euler'][~motion])
    assert not np.allclose(rots['euler'][motion], rots['head_motion'][motion])
    mixed = SynthHeadsDataset(pose_sampling='mixed', **kw)
    assert sorted(mixed.get_identity(i) for i in range(28)) == sorted(list(range(7)) * 4)


def test_identity_cfg_reaches_sample_identity_and_is_checked():
    classic = make()
    measured = make(identity_cfg=dict(face_geometry='measured'))
    a, b = classic.identity_params(3), measured.identity_params(3)
    assert a['jaw_tilt'] == 0.0 and b['jaw_tilt'] > 20.0
    assert a['skin_color'] == b['skin_color']  # the same person, another face shape
    assert not np.array_equal(classic.get_data_info(3)['img'], measured.get_data_info(3)['img'])
    with pytest.raises(ValueError, match=r"unknown keys \['geometry'\]"):
        make(identity_cfg=dict(geometry='measured'))
