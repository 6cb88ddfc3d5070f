"""Tests of TopDownCocoDataset: labels, and errors that name the path or annotation."""

import json

import numpy as np
import pytest

from headpose.datasets import TopDownCocoDataset
from headpose.structures import matrix_to_euler


def write(tmp_path, annotations, images=None):
    images = images if images is not None else [dict(id=1, file_name='a.jpg', height=10,
                                                     width=10)]
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(dict(images=images, annotations=annotations)))
    return str(path)


def ann(i=1, angles=(10.0, -20.0, 5.0), bbox=(1, 2, 3, 4)):
    return dict(id=i, image_id=1, bbox=list(bbox), euler_angles=list(angles), category_id=1)


def test_labels_are_pitch_yaw_roll_in_the_file(tmp_path):
    ds = TopDownCocoDataset(ann_file=write(tmp_path, [ann()]), data_prefix=dict(img='imgs'),
                            pipeline=[])
    info = ds.get_data_info(0)
    # euler_angles = [pitch, yaw, roll] -> (yaw, pitch, roll) = (-20, 10, 5)
    np.testing.assert_allclose(matrix_to_euler(info['gt_rotations'][0]), [-20, 10, 5], atol=1e-9)
    np.testing.assert_allclose(info['gt_bboxes'][0], [1, 2, 4, 6])
    assert info['img_path'].endswith('imgs/a.jpg')


def test_missing_data_root_and_annotation_file_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        TopDownCocoDataset(ann_file='ann.json', data_root=str(tmp_path / 'nowhere'), pipeline=[])
    with pytest.raises(FileNotFoundError, match='missing.json'):
        TopDownCocoDataset(ann_file=str(tmp_path / 'missing.json'), pipeline=[])


@pytest.mark.parametrize('bad,message', [
    (dict(euler_angles=[float('nan'), 0, 0]), 'annotation id 7: pose angles must be finite'),
    (dict(euler_angles=[float('inf'), 0, 0]), 'annotation id 7: pose angles must be finite'),
    (dict(euler_angles=None), 'annotation id 7: the pose angles are missing'),
    (dict(euler_angles=[1.0, 2.0]), 'annotation id 7: the pose angles are missing'),
    (dict(bbox=[0, 0, -1, 4]), 'annotation id 7: invalid head box'),
])
def test_bad_annotations_name_the_entry(tmp_path, bad, message):
    a = ann(7)
    a.update(bad)
    with pytest.raises(ValueError, match=message):
        TopDownCocoDataset(ann_file=write(tmp_path, [ann(1), a]), pipeline=[])


def test_missing_angle_key_and_layout(tmp_path):
    a = ann(3)
    del a['euler_angles']
    with pytest.raises(ValueError, match="annotation id 3: the pose angles are missing"):
        TopDownCocoDataset(ann_file=write(tmp_path, [a]), pipeline=[])
    path = tmp_path / 'x.json'
    path.write_text(json.dumps(dict(images=[])))
    with pytest.raises(ValueError, match="x.json: missing the top-level key 'annotations'"):
        TopDownCocoDataset(ann_file=str(path), pipeline=[])
