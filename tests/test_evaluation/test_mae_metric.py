"""Tests of HeadPoseMAE: hand-computed values, protocol options, batch-size independence."""

import numpy as np
import pytest
import torch

from headpose.evaluation.metrics import HeadPoseMAE
from headpose.structures import euler_to_matrix


def records(gt, pred, full_range=False):
    """Samples as the evaluator hands them over (``to_dict()``): one head each."""
    out = []
    for g, p in zip(gt, pred):
        rot = [torch.as_tensor(euler_to_matrix(np.array(a, float)), dtype=torch.float32)[None]
               for a in (g, p)]
        out.append(dict(gt_instances=dict(rotations=rot[0]),
                        pred_instances=dict(rotations=rot[1]), full_range=full_range))
    return out


# Full-range data: yaw compared on the circle by default.
GT = [[10.0, 0.0, 0.0], [-20.0, 5.0, 5.0], [170.0, 0.0, 0.0], [0.0, 60.0, 0.0]]
PRED = [[12.0, 1.0, -1.0], [-20.0, 8.0, 5.0], [-170.0, 0.0, 0.0], [0.0, 50.0, 0.0]]
# Narrow-range data (AFLW2000-like): the |pitch| = 100 head is outside the protocol.
GT_NARROW = [[10.0, 0.0, 0.0], [-20.0, 5.0, 5.0], [50.0, 0.0, 0.0], [0.0, 100.0, 0.0]]
PRED_NARROW = [[12.0, 1.0, -1.0], [-20.0, 8.0, 5.0], [40.0, 0.0, 0.0], [0.0, 90.0, 0.0]]


def evaluate(metric, recs, batch_size):
    for i in range(0, len(recs), batch_size):
        metric.process(None, recs[i:i + batch_size])
    return metric.evaluate(len(recs))


def test_hand_computed_and_batch_independent():
    recs = records(GT, PRED, full_range=True)
    results = [evaluate(HeadPoseMAE(), recs, bs) for bs in (1, 3, 4)]
    for res in results:
        # wrapped yaw errors 2, 0, 20, 0 -> 5.5; pitch 1, 3, 0, 10 -> 3.5; roll 1, 0, 0, 0
        assert res['pose/yaw'] == pytest.approx(5.5, abs=1e-4)
        assert res['pose/pitch'] == pytest.approx(3.5, abs=1e-4)
        assert res['pose/roll'] == pytest.approx(0.25, abs=1e-4)
        assert res['pose/MAE'] == pytest.approx((5.5 + 3.5 + 0.25) / 3, abs=1e-4)
        assert res['pose/num_images'] == 4
    assert results[0] == results[1] == results[2]


def test_unwrapped_yaw_branch_and_filter():
    res = evaluate(HeadPoseMAE(wrap_yaw=False), records(GT, PRED, full_range=True), 2)
    # yaw errors 2, 0, 340, 0 -> 85.5
    assert res['pose/yaw'] == pytest.approx(85.5, abs=1e-4)
    # The data's branch decides: read as narrow-range labels (no wrap), yaw 170 and
    # -170 are yaw 10 and -10 with pitch and roll 180: a yaw error of 20, not 340.
    res = evaluate(HeadPoseMAE(), records(GT, PRED, full_range=False), 2)
    assert res['pose/yaw'] == pytest.approx(5.5, abs=1e-4)
    res = evaluate(HeadPoseMAE(filter_abs_angle=99), records(GT_NARROW, PRED_NARROW), 2)
    assert res['pose/num_images'] == 3  # the |pitch| = 100 image is dropped
    assert res['pose/yaw'] == pytest.approx(12 / 3, abs=1e-4)
    res = evaluate(HeadPoseMAE(filter_abs_angle=45), records(GT_NARROW, PRED_NARROW), 2)
    assert res['pose/num_images'] == 2
    assert res['pose/yaw'] == pytest.approx(1.0, abs=1e-4)
    assert res['pose/pitch'] == pytest.approx(2.0, abs=1e-4)


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


def test_missing_prediction_and_unpaired_heads_named():
    metric = HeadPoseMAE()
    with pytest.raises(KeyError, match='no pred_instances'):
        metric.process(None, [dict(gt_instances=dict(rotations=torch.eye(3)[None]))])
    rec = records([[0.0, 0, 0]], [[0.0, 0, 0]])[0]
    rec['pred_instances']['rotations'] = torch.eye(3).repeat(2, 1, 1)
    with pytest.raises(ValueError, match='1 true heads but 2 predicted'):
        metric.process(None, [rec])


def test_unknown_angles_are_skipped():
    """Partial labels: an angle of weight 0 leaves that angle's mean, hand-computed."""
    gt = [[10.0, 0.0, 0.0], [-20.0, 5.0, 5.0], [40.0, 0.0, 0.0]]
    pred = [[12.0, 1.0, -1.0], [-20.0, 8.0, 5.0], [45.0, 30.0, 20.0]]
    recs = records(gt, pred)
    weights = [[1, 1, 1], [1, 1, 1], [1, 0, 0]]  # the third head: yaw known only
    for rec, w in zip(recs, weights):
        rec['gt_instances']['angle_weights'] = torch.tensor([w], dtype=torch.float32)
    res = evaluate(HeadPoseMAE(yaw_bins=(0, 30, 90)), recs, 2)
    # yaw 2, 0, 5 -> 7/3; pitch 1, 3 (the 30 of the third head is not counted) -> 2;
    # roll 1, 0 -> 0.5
    assert res['pose/yaw'] == pytest.approx(7 / 3, abs=1e-4)
    assert res['pose/pitch'] == pytest.approx(2.0, abs=1e-4)
    assert res['pose/roll'] == pytest.approx(0.5, abs=1e-4)
    assert res['pose/MAE'] == pytest.approx((7 / 3 + 2.0 + 0.5) / 3, abs=1e-4)
    assert res['pose/num_images'] == 3
    # the geodesic error counts the two fully known heads only
    full = evaluate(HeadPoseMAE(), records(gt[:2], pred[:2]), 2)
    assert res['pose/geodesic'] == pytest.approx(full['pose/geodesic'], abs=1e-6)


def test_an_angle_unknown_everywhere_is_an_error():
    recs = records([[10.0, 0.0, 0.0], [20.0, 0.0, 0.0]], [[11.0, 0.0, 0.0], [20.0, 0.0, 0.0]])
    for rec in recs:
        rec['gt_instances']['angle_weights'] = torch.tensor([[1.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match='no image has a known pitch'):
        evaluate(HeadPoseMAE(filter_abs_angle=99), recs, 2)
