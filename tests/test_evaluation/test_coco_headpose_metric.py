"""CocoHeadPoseMetric: AP, matched pose errors, frontal/back split, unmatched count, batching."""

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from headpose.evaluation.metrics import CocoHeadPoseMetric
from headpose.evaluation.metrics.coco_headpose_metric import match_detections
from headpose.structures import HeadPoseDataSample, euler_to_matrix


def sample(idx, gt_boxes, gt_angles, boxes, scores, angles, meta=None):
    s = HeadPoseDataSample(metainfo=dict(img_path=f'{idx}.png', sample_idx=idx, **(meta or {})))
    gt, pred = InstanceData(), InstanceData()
    gt.bboxes = torch.tensor(gt_boxes, dtype=torch.float32).reshape(-1, 4)
    gt.rotations = torch.as_tensor(euler_to_matrix(np.asarray(gt_angles, float).reshape(-1, 3)),
                                   dtype=torch.float32)
    gt.poses = torch.tensor(gt_angles, dtype=torch.float32).reshape(-1, 3)
    pred.bboxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    pred.scores = torch.tensor(scores, dtype=torch.float32)
    pred.rotations = torch.as_tensor(euler_to_matrix(np.asarray(angles, float).reshape(-1, 3)),
                                     dtype=torch.float32)
    pred.poses = torch.tensor(angles, dtype=torch.float32).reshape(-1, 3)
    s.gt_instances, s.pred_instances = gt, pred
    return s.to_dict()


def evaluate(samples, batch_size=None, **kw):
    metric = CocoHeadPoseMetric(**kw)
    batch_size = batch_size or len(samples)
    for i in range(0, len(samples), batch_size):
        metric.process({}, samples[i:i + batch_size])
    return metric.compute_metrics(metric.results)


def test_perfect_predictions():
    s = [sample(0, [[10, 10, 50, 60], [60, 10, 90, 40]], [[170, 10, 5], [-20, 0, 0]],
                [[10, 10, 50, 60], [60, 10, 90, 40]], [0.9, 0.8], [[170, 10, 5], [-20, 0, 0]])]
    m = evaluate(s)
    assert m['AP'] == pytest.approx(1.0) and m['AP50'] == pytest.approx(1.0)
    assert m['MAE'] == pytest.approx(0.0, abs=1e-3) and m['mIoU'] == pytest.approx(1.0)
    assert m['num_unmatched_gt'] == 0 and m['num_gt'] == 2
    assert m['back_MAE'] == pytest.approx(0.0, abs=1e-3)
    assert m['frontal_MAE'] == pytest.approx(0.0, abs=1e-3)


def test_pose_errors_wrap_and_split_by_yaw():
    # Head A (back, yaw 175) predicted at -175: wrapped yaw error 10, pitch 3, roll 0.
    # Head B (frontal, yaw 30) predicted at 50: yaw error 20, box IoU 0.5 exactly.
    # Head C is missed (its only prediction has a score below score_thr).
    s = [sample(0, [[0, 0, 40, 40], [50, 0, 90, 40], [0, 50, 20, 70]],
                [[175, 10, 0], [30, 0, 0], [0, 0, 0]],
                [[0, 0, 40, 40], [50, 0, 90, 20], [0, 50, 20, 70]], [0.9, 0.8, 0.1],
                [[-175, 13, 0], [50, 0, 0], [0, 0, 0]])]
    m = evaluate(s, score_thr=0.3)
    assert m['num_unmatched_gt'] == 1
    assert m['back_yaw'] == pytest.approx(10.0, abs=1e-3)
    assert m['back_pitch'] == pytest.approx(3.0, abs=1e-3)
    assert m['frontal_yaw'] == pytest.approx(20.0, abs=1e-3)
    assert m['yaw'] == pytest.approx(15.0, abs=1e-3)
    assert m['MAE'] == pytest.approx((15 + 1.5 + 0) / 3, abs=1e-3)
    assert m['mIoU'] == pytest.approx(0.75, abs=1e-6)
    assert m['geodesic'] > 0
    # All three predictions count for AP; every ground truth is found at IoU 0.5.
    assert m['AP50'] == pytest.approx(1.0)


def test_result_does_not_depend_on_batch_size_or_order():
    rng = np.random.default_rng(0)
    samples = []
    for i in range(9):
        k = int(rng.integers(0, 4))
        xy = rng.uniform(0, 100, (k, 2))
        gt = np.concatenate([xy, xy + rng.uniform(10, 40, (k, 2))], 1)
        ang = np.stack([rng.uniform(-180, 180, k), rng.uniform(-40, 40, k),
                        rng.uniform(-30, 30, k)], 1)
        pred = gt + rng.normal(0, 3, gt.shape)
        samples.append(sample(i, gt, ang, pred, rng.uniform(0.2, 1, k), ang + rng.normal(0, 5,
                                                                                    ang.shape)))
    one = evaluate(samples, batch_size=1)
    four = evaluate(samples, batch_size=4)
    shuffled = evaluate(samples[::-1], batch_size=9)
    for key in one:
        np.testing.assert_allclose(four[key], one[key], err_msg=key)
        np.testing.assert_allclose(shuffled[key], one[key], err_msg=key)


def test_ground_truth_is_mapped_back_through_the_letterbox():
    meta = dict(scale_factor=(0.5, 0.5), pad_param=np.array([10, 10, 0, 0], np.float32))
    # gt in the network input (scaled by 0.5, shifted down by 10); prediction in the original.
    s = [sample(0, [[5, 15, 25, 45]], [[0, 0, 0]], [[10, 10, 50, 70]], [0.9], [[0, 0, 0]],
                meta)]
    m = evaluate(s)
    assert m['mIoU'] == pytest.approx(1.0) and m['AP'] == pytest.approx(1.0)


def test_no_predictions_and_greedy_matching():
    m = evaluate([sample(0, [[0, 0, 10, 10]], [[0, 0, 0]], np.zeros((0, 4)), [], np.zeros((0, 3)))])
    assert m['AP'] == 0.0 and m['num_unmatched_gt'] == 1 and np.isnan(m['MAE'])
    # The higher-scored prediction takes the ground truth first, even at a lower IoU.
    matches = match_detections(np.array([[0, 0, 10, 10], [0, 0, 10, 8]], float),
                               np.array([0.5, 0.9]), np.array([[0, 0, 10, 10]], float))
    assert [(p, g) for p, g, _ in matches] == [(1, 0)]
