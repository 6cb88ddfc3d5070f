"""Tests of batched_nms against an independent brute-force implementation."""

import itertools

import numpy as np
import pytest
import torch

from headpose.structures import batched_nms, box_iou


def iou_py(a, b) -> float:
    """IoU of two xyxy boxes, written out in plain Python."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def brute_force_nms(boxes, scores, idxs, thr) -> list:
    """Per category: keep a box unless a kept box of higher score overlaps it by > thr.

    Boxes are visited by score from the top; the kept lists of all categories are
    merged and sorted by score (the order torchvision returns).
    """
    kept = []
    for c in sorted(set(idxs)):
        members = sorted((i for i in range(len(boxes)) if idxs[i] == c),
                         key=lambda i: -scores[i])
        chosen = []
        for i in members:
            if all(iou_py(boxes[i], boxes[j]) <= thr for j in chosen):
                chosen.append(i)
        kept += chosen
    return sorted(kept, key=lambda i: -scores[i])


def random_boxes(rng, n):
    xy = rng.uniform(0, 80, (n, 2))
    wh = rng.uniform(5, 40, (n, 2))
    return np.concatenate([xy, xy + wh], 1)


@pytest.mark.parametrize('seed,thr', list(itertools.product(range(6), (0.3, 0.5, 0.7))))
def test_batched_nms_matches_brute_force(seed, thr):
    rng = np.random.default_rng(seed)
    n = 60
    boxes = random_boxes(rng, n)
    scores = rng.permutation(n) / n + 0.01  # distinct scores
    idxs = rng.integers(0, 3, n)
    keep = batched_nms(torch.as_tensor(boxes, dtype=torch.float32),
                       torch.as_tensor(scores, dtype=torch.float32),
                       torch.as_tensor(idxs), thr)
    assert keep.dtype == torch.long
    assert keep.tolist() == brute_force_nms(boxes.tolist(), scores.tolist(), idxs.tolist(), thr)
    kept_scores = scores[keep.numpy()]
    assert np.all(np.diff(kept_scores) <= 0)  # descending score order


def test_categories_never_suppress_each_other():
    boxes = torch.tensor([[0., 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    assert batched_nms(boxes, scores, torch.tensor([0, 0, 1]), 0.5).tolist() == [0, 2]
    assert batched_nms(boxes, scores, torch.tensor([0, 1, 2]), 0.5).tolist() == [0, 1, 2]


def test_threshold_is_strict_and_empty_input():
    # IoU of these two boxes is exactly 0.5: kept at threshold 0.5, suppressed below.
    boxes = torch.tensor([[0., 0, 10, 10], [0, 0, 10, 5]])
    scores = torch.tensor([0.9, 0.8])
    idxs = torch.zeros(2, dtype=torch.long)
    assert box_iou(boxes[:1], boxes[1:]).item() == pytest.approx(0.5)
    assert batched_nms(boxes, scores, idxs, 0.5).tolist() == [0, 1]
    assert batched_nms(boxes, scores, idxs, 0.49).tolist() == [0]
    empty = batched_nms(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, dtype=torch.long), 0.5)
    assert empty.shape == (0, ) and empty.dtype == torch.long


def test_box_iou_hand_values():
    a = torch.tensor([[0., 0, 10, 10]])
    b = torch.tensor([[5., 5, 15, 15], [20, 20, 30, 30], [0, 0, 10, 10]])
    np.testing.assert_allclose(box_iou(a, b).numpy(), [[25 / 175, 0.0, 1.0]], rtol=1e-6)
