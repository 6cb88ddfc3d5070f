"""Tests of HeadPoseMAE: hand-computed values, protocol options, batch-size independence."""

import numpy as np
import pytest
import torch

from headpose.evaluation.metrics import HeadPoseMAE
from headpose.structures import euler_to_matrix


def records(gt, pred):
    out = []
    for g, p in zip(gt, pred):
        g, p = torch.tensor(g, dtype=torch.float32), torch.tensor(p, dtype=torch.float32)
        out.append(dict(gt_pose=g, pred_pose=p, gt_rotation=euler_to_matrix(g),
                        pred_rotation=euler_to_matrix(p)))
    return out


GT = [[10.0, 0.0, 0.0], [-20.0, 5.0, 5.0], [170.0, 0.0, 0.0], [0.0, 100.0, 0.0]]
PRED = [[12.0, 1.0, -1.0], [-20.0, 8.0, 5.0], [-170.0, 0.0, 0.0], [0.0, 90.0, 0.0]]


def evaluate(metric, recs, batch_size):
    for i in range(0, len(recs), batch_size):
        metric.process(None, recs[i:i + batch_size])
    return metric.evaluate(len(recs))


def test_hand_computed_and_batch_independent():
    recs = records(GT, PRED)
    results = [evaluate(HeadPoseMAE(), recs, bs) for bs in (1, 3, 4)]
    for res in results:
        # yaw errors 2, 0, 340, 0 -> 85.5; pitch 1, 3, 0, 10 -> 3.5; roll 1, 0, 0, 0 -> 0.25
        assert res['pose/yaw'] == pytest.approx(85.5)
        assert res['pose/pitch'] == pytest.approx(3.5)
        assert res['pose/roll'] == pytest.approx(0.25)
        assert res['pose/MAE'] == pytest.approx((85.5 + 3.5 + 0.25) / 3)
        assert res['pose/num_images'] == 4
    assert results[0] == results[1] == results[2]


def test_wrapped_yaw_and_filter():
    res = evaluate(HeadPoseMAE(wrap_yaw=True), records(GT, PRED), 2)
    # wrapped yaw errors 2, 0, 20, 0 -> 5.5
    assert res['pose/yaw'] == pytest.approx(5.5)
    res = evaluate(HeadPoseMAE(filter_abs_angle=99), records(GT, PRED), 2)
    # the |yaw| = 170 and |pitch| = 100 images are dropped
    assert res['pose/num_images'] == 2
    assert res['pose/yaw'] == pytest.approx(1.0)
    assert res['pose/pitch'] == pytest.approx(2.0)


def test_geodesic():
    gt = [[0.0, 0.0, 0.0]]
    pred = [[30.0, 0.0, 0.0]]
    res = evaluate(HeadPoseMAE(), records(gt, pred), 1)
    assert res['pose/geodesic'] == pytest.approx(30.0, abs=1e-3)


def test_everything_filtered_is_an_error():
    metric = HeadPoseMAE(filter_abs_angle=5)
    metric.process(None, records([[50.0, 0, 0]], [[0.0, 0, 0]]))
    with pytest.raises(ValueError, match='no image left'):
        metric.evaluate(1)


def test_missing_prediction_named():
    metric = HeadPoseMAE()
    with pytest.raises(KeyError, match='pred_pose'):
        metric.process(None, [dict(gt_pose=np.zeros(3))])
