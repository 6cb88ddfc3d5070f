"""AFLWCropsDataset: the release layout, proved exclusions, teacher labels as partial labels."""

import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from headpose.datasets import AFLWCropsDataset, PairDataset
from headpose.structures import matrix_to_euler
from headpose.testing import REPO_ROOT

SHARED_DATA = osp.join(REPO_ROOT, '..', 'shared', 'data')
PIPELINE = [dict(type='LoadImage'), dict(type='CropHead', input_size=(32, 32), padding=1.0),
            dict(type='PackHeadPoseInputs')]


def make_release(root, names, yaws, garbage=()):
    """A release in its layout: crops (garbage bytes for the names in ``garbage``)."""
    os.makedirs(osp.join(root, 'AFLW_GT_crop'))
    for i, name in enumerate(names):
        path = osp.join(root, 'AFLW_GT_crop', name)
        if name in garbage:
            with open(path, 'wb') as f:
                f.write(b'not an image')
        else:
            cv2.imwrite(path, np.full((120, 120, 3), 40 + i, np.uint8))
    with open(osp.join(root, 'AFLW_GT_crop.list'), 'w') as f:
        f.write('\n'.join(names) + '\n')
    np.save(osp.join(root, 'AFLW_GT_crop_yaws.npy'), np.asarray(yaws, np.float32))
    return str(root)


def teacher_json(path, labels):
    """A pseudo_label.py JSON: {name: (yaw, pitch, roll, score)}."""
    images = [dict(id=i + 1, file_name=n, width=120, height=120) for i, n in enumerate(labels)]
    anns = [dict(id=i + 1, image_id=i + 1, bbox=[0, 0, 120, 120], euler_angles=[p, y, r],
                 score=s) for i, (y, p, r, s) in enumerate(labels.values())]
    with open(path, 'w') as f:
        json.dump(dict(images=images, annotations=anns), f)
    return str(path)


def test_excluded_names_are_never_read(tmp_path):
    # image00002 is an AFLW2000-3D image: listed by stem in the exclusion list, and its
    # crop is garbage, so reading it would fail; image00004 sits in the test folder
    names = ['image00002.jpg', 'image00004.jpg', 'image01000.jpg', 'image01001.jpg']
    root = make_release(tmp_path / 'rel', names, [0, 10, 20, 30],
                        garbage=('image00002.jpg', 'image00004.jpg'))
    exclude = tmp_path / 'aflw2000_names.txt'
    exclude.write_text('image00002\n')
    test_dir = tmp_path / 'test'
    test_dir.mkdir()
    (test_dir / 'image00004.jpg').write_bytes(b'')
    ds = AFLWCropsDataset(data_root=root, exclude_lists=[str(exclude)],
                          exclude_dirs=[str(test_dir)], pipeline=PIPELINE, test_mode=True)
    assert ds.num_excluded == 2
    paths = [osp.basename(ds.get_data_info(i)['img_path']) for i in range(len(ds))]
    assert paths == ['image01000.jpg', 'image01001.jpg']
    for i in range(len(ds)):  # every kept crop reads (the garbage ones are not among them)
        assert tuple(ds[i]['inputs'].shape) == (3, 32, 32)
    # without the exclusions the garbage crops are there, and reading them fails
    ds = AFLWCropsDataset(data_root=root, pipeline=PIPELINE, test_mode=True)
    assert len(ds) == 4
    with pytest.raises(OSError, match='image00002.jpg'):
        ds[0]


def test_a_missing_exclusion_is_an_error_not_a_silent_no_op(tmp_path):
    root = make_release(tmp_path / 'rel', ['image01000.jpg'], [0])
    with pytest.raises(FileNotFoundError, match='exclusion list .*names.txt not found'):
        AFLWCropsDataset(data_root=root, exclude_lists=[str(tmp_path / 'names.txt')])
    with pytest.raises(FileNotFoundError, match='exclusion folder'):
        AFLWCropsDataset(data_root=root, exclude_dirs=[str(tmp_path / 'AFLW2000')])


def test_labels_yaw_from_aflw_pitch_and_roll_from_a_confident_teacher(tmp_path):
    names = ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg', 'f.jpg']
    root = make_release(tmp_path / 'rel', names, [10, 20, 70, 30, -95, 40])
    labels = {'a.jpg': (12, -5, 3, 0.9),    # frontal, confident: its yaw too
              'b.jpg': (25, 8, -2, 0.1),    # unsure: yaw alone (AFLW's)
              'c.jpg': (50, 4, 4, 0.9),     # beyond teacher_max_yaw: yaw alone
              'd.jpg': (28, 1, 2, 0.9),     # above teacher_yaw_below: AFLW's yaw
              'e.jpg': (-80, 0, 0, 0.9)}    # |yaw| > 90: dropped; f.jpg: no teacher label
    ds = AFLWCropsDataset(data_root=root, teacher_file=teacher_json(tmp_path / 't.json', labels),
                          teacher_min_score=0.4, teacher_max_yaw=60, teacher_yaw_below=25,
                          pipeline=PIPELINE)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [osp.basename(i['img_path']) for i in infos] == ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg',
                                                          'f.jpg']
    angles = np.stack([matrix_to_euler(i['gt_rotations'][0]) for i in infos])
    weights = np.concatenate([i['gt_angle_weights'] for i in infos])
    np.testing.assert_allclose(angles, [[12, -5, 3], [20, 0, 0], [70, 0, 0], [30, 1, 2],
                                        [40, 0, 0]], atol=1e-6)
    np.testing.assert_array_equal(weights, [[1, 1, 1], [1, 0, 0], [1, 0, 0], [1, 1, 1],
                                            [1, 0, 0]])
    # each crop is its own identity: PairDataset pairs it with an augmented twin
    pairs = PairDataset(ds)
    assert pairs.partner(3) == 3
    item = pairs[0]
    assert item['data_samples'][0].gt_instances.angle_weights.tolist() == [[1, 1, 1]]
    # or with another person's crop
    across = PairDataset(AFLWCropsDataset(data_root=root, pairing='across', pipeline=PIPELINE))
    assert {across.partner(3) for _ in range(20)} <= {0, 1, 2, 4} and across.partner(3) != 3
    with pytest.raises(ValueError, match="pairing must be 'twin' or 'across'"):
        AFLWCropsDataset(data_root=root, pairing='people')


def test_bad_release_and_labels_are_named(tmp_path):
    root = make_release(tmp_path / 'rel', ['a.jpg', 'b.jpg'], [0])
    with pytest.raises(ValueError, match='1 yaws but .*AFLW_GT_crop.list 2 names'):
        AFLWCropsDataset(data_root=root)
    with pytest.raises(FileNotFoundError, match='AFLW_GT_crop.list not found'):
        AFLWCropsDataset(data_root=str(tmp_path))
    root = make_release(tmp_path / 'rel2', ['a.jpg'], [0])
    with pytest.raises(FileNotFoundError, match="teacher labels .* not found.*prepare"):
        AFLWCropsDataset(data_root=root, teacher_file=str(tmp_path / 'none.json'))
    (tmp_path / 'bad.json').write_text('{"images": []}')
    with pytest.raises(ValueError, match='bad.json is not a pseudo_label.py'):
        AFLWCropsDataset(data_root=root, teacher_file=str(tmp_path / 'bad.json'))


@pytest.mark.skipif(not osp.isdir(osp.join(SHARED_DATA, 'aflw_crops')),
                    reason='the AFLW crops are absent (../shared/data/aflw_crops)')
def test_the_real_release_holds_no_aflw2000_image():
    names = osp.join(SHARED_DATA, 'aflw2000_names.txt')
    ds = AFLWCropsDataset(data_root=osp.join(SHARED_DATA, 'aflw_crops'), exclude_lists=[names],
                          exclude_dirs=[osp.join(SHARED_DATA, 'aflw2000_dev')])
    with open(names) as f:
        test_names = {line.strip() for line in f}
    train = {osp.splitext(osp.basename(ds.get_data_info(i)['img_path']))[0]
             for i in range(len(ds))}
    assert len(test_names) == 2000 and len(train) == 18296
    assert not train & test_names
