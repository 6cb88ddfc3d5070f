"""CocoHeadPoseMetric: head detection AP (pycocotools) and the pose error of matched heads."""

import contextlib
import io
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from terminaltables import AsciiTable

from headpose.registry import METRICS
from headpose.structures import (
    box_iou,
    geodesic_distance,
    matrix_to_euler,
    unletterbox_boxes,
    wrapped_angle_error,
)


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def match_detections(pred_boxes: np.ndarray, pred_scores: np.ndarray, gt_boxes: np.ndarray,
                     iou_thr: float = 0.5) -> list:
    """Greedy one-to-one matching, as COCO does: predictions by decreasing score each
    take the unmatched ground truth of highest IoU, if that IoU is at least ``iou_thr``.

    Returns:
        ``(pred_index, gt_index, iou)`` triples.
    """
    if len(pred_boxes) == 0 or len(gt_boxes) == 0:
        return []
    iou = box_iou(torch.as_tensor(pred_boxes, dtype=torch.float64),
                  torch.as_tensor(gt_boxes, dtype=torch.float64)).numpy()
    taken = np.zeros(len(gt_boxes), bool)
    matches = []
    for p in np.argsort(-pred_scores, kind='stable'):
        cand = np.where(taken, -1.0, iou[p])
        g = int(np.argmax(cand))
        if cand[g] >= iou_thr:
            taken[g] = True
            matches.append((int(p), g, float(iou[p, g])))
    return matches


@METRICS.register_module()
class CocoHeadPoseMetric(BaseMetric):
    """Head detection AP and AP50 (pycocotools), and the pose error of detected heads.

    Detection: COCO box AP (IoU 0.5:0.95) and AP50 over all predictions, one class.
    Pose: predictions with ``score >= score_thr`` are matched one-to-one to ground
    truths at IoU >= ``iou_thr`` (greedy by score, as COCO matches); for the matches
    it reports the mean IoU, the MAE of yaw (wrapped: ``min(|d|, 360 - |d|)``), pitch
    and roll, their mean ``MAE``, and the mean geodesic error, over all heads and split
    into frontal (|gt yaw| <= 90) and back (|gt yaw| > 90) heads; and the number of
    ground truths left unmatched.

    Predictions are in original image pixels (``YOLOV3Head.predict`` rescales them);
    ground-truth boxes are taken from ``gt_instances`` and mapped back through the
    letterbox (``scale_factor``, ``pad_param``), so the test pipeline must not crop
    or move the image otherwise. Every image is one record: the result does not
    depend on the batch size or the number of processes.

    Args:
        score_thr: smallest score of a prediction that is matched for the pose error.
        iou_thr: smallest IoU of a match.
        full_range: the Euler branch in which ground-truth and predicted rotations are
            both converted to (yaw, pitch, roll) for the errors (see ``matrix_to_euler``);
            ``None`` (default): the data's, from each sample's ``full_range`` meta field
            (set by the data set).
        collect_device: 'cpu' or 'gpu', for gathering results across processes.
        prefix: the metric names' prefix.
    """

    default_prefix = 'headpose'

    def __init__(self, score_thr: float = 0.3, iou_thr: float = 0.5,
                 full_range: Optional[bool] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.full_range = full_range
        self.score_thr = score_thr
        self.iou_thr = iou_thr

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'pred_instances' not in sample:
                raise KeyError('CocoHeadPoseMetric: a data sample has no pred_instances; was '
                               "the model run in 'predict' mode?")
            pred, gt = sample['pred_instances'], sample['gt_instances']
            meta = {k: sample.get(k) for k in ('pad_param', 'scale_factor')
                    if sample.get(k) is not None}
            full_range = self.full_range if self.full_range is not None else \
                bool(sample.get('full_range', True))
            self.results.append(dict(
                key=(str(sample.get('img_path')), int(sample.get('sample_idx', -1))),
                full_range=full_range,
                gt_boxes=unletterbox_boxes(_np(gt['bboxes']), meta),
                gt_rotations=_np(gt['rotations']).astype(np.float64).reshape(-1, 3, 3),
                boxes=_np(pred['bboxes']).astype(np.float64).reshape(-1, 4),
                scores=_np(pred['scores']).astype(np.float64).reshape(-1),
                rotations=_np(pred['rotations']).astype(np.float64).reshape(-1, 3, 3)))

    def compute_metrics(self, results: List[dict]) -> dict:
        results = sorted(results, key=lambda r: r['key'])
        metrics = self._detection(results)
        matched, unmatched = self._match(results)
        num_gt = sum(len(r['gt_boxes']) for r in results)
        metrics['num_gt'] = num_gt
        metrics['num_unmatched_gt'] = unmatched
        rows = [['heads', 'count', 'IoU', 'yaw', 'pitch', 'roll', 'MAE', 'geodesic']]
        for name, sel in (('all', slice(None)), ('frontal', 'frontal'), ('back', 'back')):
            m = matched
            if sel == 'frontal':
                m = matched[np.abs(matched[:, 1]) <= 90] if len(matched) else matched
            elif sel == 'back':
                m = matched[np.abs(matched[:, 1]) > 90] if len(matched) else matched
            stats = self._pose_stats(m)
            prefix = '' if name == 'all' else f'{name}_'
            for k, v in stats.items():
                metrics[prefix + k] = v
            rows.append([name, str(len(m))] + [f'{stats[k]:.3f}' for k in (
                'mIoU', 'yaw', 'pitch', 'roll', 'MAE', 'geodesic')])
        title = (f'head detection AP {metrics["AP"]:.3f}, AP50 {metrics["AP50"]:.3f}; pose of '
                 f'matches (score >= {self.score_thr}, IoU >= {self.iou_thr}); '
                 f'{unmatched} of {num_gt} ground truths unmatched')
        print_log('\n' + AsciiTable(rows, title).table, logger='current')
        return {k: float(v) for k, v in metrics.items()}

    def _detection(self, results: List[dict]) -> dict:
        images, anns, dets = [], [], []
        for i, r in enumerate(results):
            images.append(dict(id=i + 1))
            for b in r['gt_boxes']:
                w, h = b[2] - b[0], b[3] - b[1]
                anns.append(dict(id=len(anns) + 1, image_id=i + 1, category_id=1, iscrowd=0,
                                 bbox=[b[0], b[1], w, h], area=w * h))
            for b, s in zip(r['boxes'], r['scores']):
                dets.append(dict(image_id=i + 1, category_id=1, score=float(s),
                                 bbox=[b[0], b[1], b[2] - b[0], b[3] - b[1]]))
        if not anns:
            return dict(AP=float('nan'), AP50=float('nan'))
        if not dets:
            return dict(AP=0.0, AP50=0.0)
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO()
            gt.dataset = dict(images=images, annotations=anns,
                              categories=[dict(id=1, name='head')])
            gt.createIndex()
            dt = gt.loadRes(dets)
            ev = COCOeval(gt, dt, iouType='bbox')
            ev.params.maxDets = [1, 10, 100]
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        return dict(AP=max(float(ev.stats[0]), 0.0), AP50=max(float(ev.stats[1]), 0.0))

    def _match(self, results: List[dict]) -> tuple:
        """Rows (iou, gt yaw, yaw err, pitch err, roll err, geodesic) and the unmatched count."""
        rows, unmatched = [], 0
        for r in results:
            keep = r['scores'] >= self.score_thr
            matches = match_detections(r['boxes'][keep], r['scores'][keep], r['gt_boxes'],
                                       self.iou_thr)
            unmatched += len(r['gt_boxes']) - len(matches)
            if not matches:
                continue
            p_idx = np.flatnonzero(keep)[[m[0] for m in matches]]
            g_idx = np.array([m[1] for m in matches])
            gr, pr = r['gt_rotations'][g_idx], r['rotations'][p_idx]
            gp = matrix_to_euler(gr, r['full_range'])
            pp = matrix_to_euler(pr, r['full_range'])
            err = np.abs(pp - gp)
            err[:, 0] = wrapped_angle_error(pp[:, 0], gp[:, 0])
            geo = geodesic_distance(gr, pr)
            rows.append(np.column_stack([[m[2] for m in matches], gp[:, 0], err, geo]))
        return (np.concatenate(rows) if rows else np.zeros((0, 6))), unmatched

    @staticmethod
    def _pose_stats(m: np.ndarray) -> dict:
        if len(m) == 0:
            return dict(mIoU=float('nan'), yaw=float('nan'), pitch=float('nan'),
                        roll=float('nan'), MAE=float('nan'), geodesic=float('nan'))
        mean = m.mean(0)
        return dict(mIoU=mean[0], yaw=mean[2], pitch=mean[3], roll=mean[4],
                    MAE=float(mean[2:5].mean()), geodesic=mean[5])


__all__ = ['CocoHeadPoseMetric', 'match_detections']
