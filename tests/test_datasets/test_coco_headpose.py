"""CocoHeadPoseDataset: labels, bad input (each handled as documented), and a real frame."""

import json
import logging
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.logging import MMLogger

from headpose.datasets import CocoHeadPoseDataset
from headpose.structures import euler_to_matrix, matrix_to_euler
from headpose.testing import REAL_SAMPLES

CMU_FRAME = osp.join(REAL_SAMPLES, 'cmu_panoptic', 'cmu_val_10400060013.jpg')


def write(tmp_path, images, annotations, name='ann.json'):
    path = tmp_path / name
    path.write_text(json.dumps(dict(images=images, annotations=annotations,
                                    categories=[dict(id=1, name='person')])))
    return str(path)


def ann(id, image_id, bbox, angles=(10.0, -170.0, 5.0), iscrowd=0):
    return dict(id=id, image_id=image_id, category_id=1, iscrowd=iscrowd, bbox=list(bbox),
                euler_angles=list(angles) if angles is not None else None)


def images(n, w=100, h=80):
    return [dict(id=i + 1, file_name=f'{i}.png', width=w, height=h) for i in range(n)]


def test_labels_full_range(tmp_path):
    path = write(tmp_path, images(1), [ann(7, 1, (10, 20, 30, 40), (15.0, -170.0, 5.0)),
                                       ann(8, 1, (50, 10, 20, 20), (0.0, 120.0, -30.0))])
    ds = CocoHeadPoseDataset(ann_file=path, pipeline=[], test_mode=True)
    info = ds.get_data_info(0)
    np.testing.assert_allclose(info['gt_bboxes'], [[10, 20, 40, 60], [50, 10, 70, 30]])
    # euler_angles are [pitch, yaw, roll]; the canonical label is the rotation matrix.
    np.testing.assert_allclose(info['gt_rotations'][0],
                               euler_to_matrix(np.array([-170.0, 15.0, 5.0])))
    np.testing.assert_allclose(matrix_to_euler(info['gt_rotations'], full_range=True),
                               [[-170, 15, 5], [120, 0, -30]], atol=1e-9)
    assert info['ann_ids'] == [7, 8] and info['full_range'] is True


def test_bad_boxes_are_clipped_or_dropped_with_a_logged_count(tmp_path):
    anns = [ann(1, 1, (-10, 10, 30, 20)),    # partly outside: clipped to x 0..20
            ann(2, 1, (200, 10, 20, 20)),    # entirely outside: dropped
            ann(3, 1, (10, 10, 0, 20)),      # degenerate: dropped
            ann(4, 1, (10, 10, 20, 20), iscrowd=1),  # crowd: dropped
            ann(5, 2, (300, 300, 5, 5))]     # image 2 ends up without a head
    path = write(tmp_path, images(3), anns)
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logger.addHandler(handler)
    try:
        train = CocoHeadPoseDataset(ann_file=path, pipeline=[])
    finally:
        logger.removeHandler(handler)
    log = '\n'.join(records)
    assert len(train) == 1  # training drops the two images without heads
    np.testing.assert_allclose(train.get_data_info(0)['gt_bboxes'], [[0, 10, 20, 30]])
    assert train.load_report == dict(images=3, heads=1, clipped=1, dropped_boxes=3, crowd=1,
                                     empty_images=2, max_abs_yaw=train.load_report['max_abs_yaw'])
    assert '1 boxes clipped' in log and '3 degenerate or outside boxes dropped' in log
    assert '1 crowd annotations dropped' in log and '2 images without heads dropped' in log
    test = CocoHeadPoseDataset(ann_file=path, pipeline=[], test_mode=True)
    assert len(test) == 3  # kept as negative examples for the test
    assert test.get_data_info(2)['gt_bboxes'].shape == (0, 4)
    assert test.get_data_info(2)['gt_rotations'].shape == (0, 3, 3)


@pytest.mark.parametrize('angles,match', [
    (None, 'missing'),
    ((10.0, 'a', 0.0), '3 numbers'),
    ((10.0, 20.0), '3 numbers'),
    ((10.0, float('nan'), 0.0), 'finite'),
    ((10.0, 190.0, 0.0), 'yaw 190.0 is outside'),
    ((95.0, 10.0, 0.0), 'pitch 95.0 is outside'),
])
def test_bad_angles_name_the_annotation(tmp_path, angles, match):
    path = write(tmp_path, images(1), [ann(1, 1, (1, 1, 5, 5)), ann(42, 1, (1, 1, 5, 5), angles)])
    with pytest.raises(ValueError, match=match) as err:
        CocoHeadPoseDataset(ann_file=path, pipeline=[])
    assert 'annotation id 42' in str(err.value) and path in str(err.value)


def test_unknown_image_id_and_missing_file(tmp_path):
    path = write(tmp_path, images(1), [ann(9, 5, (1, 1, 5, 5))])
    with pytest.raises(ValueError, match='annotation id 9: image_id 5'):
        CocoHeadPoseDataset(ann_file=path, pipeline=[])
    with pytest.raises(FileNotFoundError, match='nothing.json'):
        CocoHeadPoseDataset(ann_file=str(tmp_path / 'nothing.json'), pipeline=[])


@pytest.mark.skipif(not osp.isfile(CMU_FRAME), reason='real CMU Panoptic samples not present')
def test_real_cmu_frame_through_the_test_pipeline(tmp_path):
    h, w = cv2.imread(CMU_FRAME).shape[:2]
    assert (w, h) == (1920, 1080)
    path = write(tmp_path, [dict(id=1, file_name=osp.basename(CMU_FRAME), width=w, height=h)],
                 [ann(1, 1, (900, 300, 60, 80), (0.0, 175.0, 0.0))])
    ds = CocoHeadPoseDataset(
        ann_file=path, data_prefix=dict(img=osp.dirname(CMU_FRAME)), test_mode=True,
        pipeline=[dict(type='LoadImage'), dict(type='LetterBox', scale=(608, 608)),
                  dict(type='PackHeadPoseInputs')])
    out = ds[0]
    assert tuple(out['inputs'].shape) == (3, 608, 608)
    sample = out['data_samples']
    s = 608 / 1920
    np.testing.assert_allclose(sample.gt_instances.bboxes.numpy(),
                               [[900 * s, 300 * s + 133, 960 * s, 380 * s + 133]], atol=0.5)
    # Labels with |yaw| > 90: the data set is full-range, and so are the angles derived.
    assert ds.full_range and ds.metainfo['full_range'] and sample.full_range
    yaw = matrix_to_euler(sample.gt_instances.rotations[0].double(), True)[0].item()
    assert yaw == pytest.approx(175.0, abs=1e-4)
    assert sample.metainfo['scale_factor'] == pytest.approx((s, s), rel=1e-3)
