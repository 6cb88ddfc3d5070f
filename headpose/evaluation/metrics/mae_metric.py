"""HeadPoseMAE: the mean absolute error of yaw, pitch and roll, and the geodesic error."""

from typing import List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from terminaltables import AsciiTable

from headpose.registry import METRICS
from headpose.structures import geodesic_distance, matrix_to_euler, wrapped_angle_error

YAW_BINS = (0, 30, 60, 90, 180)


@METRICS.register_module()
class HeadPoseMAE(BaseMetric):
    """Mean absolute error of (yaw, pitch, roll) in degrees, and their mean ('MAE').

    For data of one head per image (crops): the ``i``-th predicted head of an image is
    compared with its ``i``-th ground truth (``pred_instances`` / ``gt_instances``).
    Both rotations are expressed as (yaw, pitch, roll) in the Euler branch of the data
    (``full_range``); the metric does not read the angles a model reports, so a model's
    own range cannot change the score. Every head counts once whatever the batch size
    or number of processes: ``process`` keeps one record per head and
    ``compute_metrics`` reduces them all.

    Partial labels: an angle whose label weight is 0 (``gt_instances.angle_weights``, see
    ``PackHeadPoseInputs``) is unknown and left out of that angle's mean; 'MAE' is the
    mean of the three angles' means, the geodesic error counts only fully known heads and
    the per-range table only heads whose yaw is known.

    Args:
        filter_abs_angle: drop images whose ground truth has any |angle| above this
            (the papers' AFLW2000 protocol: 99, leaving 1969 of 2000); ``None`` keeps all.
        full_range: the Euler branch of the comparison; ``None`` (default): the data's,
            from each sample's ``full_range`` meta field (set by the data set).
        wrap_yaw: compare yaw on the circle, ``min(|d|, 360 - |d|)``; ``None``
            (default): in the full-range branch only.
        geodesic: also report the mean geodesic angle between the rotations.
        yaw_bins: edges of |yaw| ranges for the per-range table (``None``: no table).
        collect_device: 'cpu' or 'gpu', for gathering results across processes.
        prefix: the metric names' prefix.
    """

    default_prefix = 'pose'

    def __init__(self, filter_abs_angle: Optional[float] = None,
                 full_range: Optional[bool] = None, wrap_yaw: Optional[bool] = None,
                 geodesic: bool = True, yaw_bins: Optional[Sequence[float]] = YAW_BINS,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.filter_abs_angle = filter_abs_angle
        self.full_range = full_range
        self.wrap_yaw = wrap_yaw
        self.geodesic = geodesic
        self.yaw_bins = tuple(yaw_bins) if yaw_bins else None

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            gt_rot, pred_rot = paired_rotations(sample, 'HeadPoseMAE')
            full_range = self.full_range if self.full_range is not None else \
                bool(sample.get('full_range', False))
            known = np.ones((len(gt_rot), 3), dtype=bool)
            if 'angle_weights' in sample['gt_instances']:
                known = _np(sample['gt_instances']['angle_weights']).reshape(-1, 3) > 0
            for g, p, k in zip(gt_rot, pred_rot, known):
                self.results.append(dict(
                    gt_pose=matrix_to_euler(g, full_range),
                    pred_pose=matrix_to_euler(p, full_range),
                    gt_rotation=g, pred_rotation=p, full_range=full_range, known=k))

    def compute_metrics(self, results: List[dict]) -> dict:
        gt = np.stack([r['gt_pose'] for r in results])
        pred = np.stack([r['pred_pose'] for r in results])
        known = np.stack([r.get('known', np.ones(3, dtype=bool)) for r in results])
        wrap = self.wrap_yaw if self.wrap_yaw is not None else \
            any(r['full_range'] for r in results)
        keep = np.ones(len(gt), dtype=bool)
        if self.filter_abs_angle is not None:
            keep = np.all((np.abs(gt) <= self.filter_abs_angle) | ~known, axis=1)
        gt, pred, known = gt[keep], pred[keep], known[keep]
        if len(gt) == 0:
            raise ValueError('HeadPoseMAE: no image left to evaluate after the |angle| <= '
                             f'{self.filter_abs_angle} filter')
        if not known.any(0).all():
            missing = [n for n, k in zip(('yaw', 'pitch', 'roll'), known.any(0)) if not k]
            raise ValueError(f'HeadPoseMAE: no image has a known {" or ".join(missing)} label '
                             '(angle_weights 0 everywhere)')
        err = np.abs(pred - gt)
        if wrap:
            err[:, 0] = wrapped_angle_error(pred[:, 0], gt[:, 0])
        err = np.where(known, err, np.nan)
        metrics = dict(zip(('yaw', 'pitch', 'roll'), _nanmean(err)))
        metrics['MAE'] = float(np.mean([metrics['yaw'], metrics['pitch'], metrics['roll']]))
        rows = [['', 'yaw', 'pitch', 'roll', 'MAE']]
        rows.append(['all'] + [f'{metrics[k]:.3f}' for k in ('yaw', 'pitch', 'roll', 'MAE')])
        if self.geodesic:
            geo = geodesic_distance(np.stack([r['gt_rotation'] for r in results])[keep],
                                    np.stack([r['pred_rotation'] for r in results])[keep])
            whole = known.all(1)
            metrics['geodesic'] = float(geo[whole].mean()) if whole.any() else float('nan')
        metrics['num_images'] = int(keep.sum())
        if self.yaw_bins:
            for lo, hi in zip(self.yaw_bins[:-1], self.yaw_bins[1:]):
                sel = (np.abs(gt[:, 0]) >= lo) & (np.abs(gt[:, 0]) < hi) & known[:, 0]
                if sel.any():
                    e = _nanmean(err[sel])
                    rows.append([f'|yaw| in [{lo}, {hi}): {sel.sum()}'] +
                                [f'{v:.3f}' for v in (*e, e.mean())])
        title = f'head pose error in degrees ({metrics["num_images"]} images'
        if self.filter_abs_angle is not None:
            title += f', {int((~keep).sum())} dropped by |angle| > {self.filter_abs_angle}'
        print_log('\n' + AsciiTable(rows, title + ')').table, logger='current')
        return {k: float(v) for k, v in metrics.items()}


def _nanmean(err: np.ndarray) -> np.ndarray:
    """Column means of ``err`` over its known (not NaN) entries; NaN for a column with none."""
    count = (~np.isnan(err)).sum(0)
    return np.where(count > 0, np.nansum(err, 0) / np.maximum(count, 1), np.nan)


def paired_rotations(sample: dict, who: str) -> tuple:
    """A sample's ``(K, 3, 3)`` ground-truth and predicted rotations, paired by index.

    Raises:
        KeyError: the sample has no predictions (the model was not run in 'predict'
            mode) or no ground truth.
        ValueError: the numbers of predicted and true heads differ.
    """
    if 'pred_instances' not in sample:
        raise KeyError(f"{who}: a data sample has no pred_instances; was the model run in "
                       "'predict' mode?")
    if 'gt_instances' not in sample:
        raise KeyError(f'{who}: a data sample of {sample.get("img_path")} has no '
                       'gt_instances (no rotation labels)')
    gt = _np(sample['gt_instances']['rotations']).reshape(-1, 3, 3)
    pred = _np(sample['pred_instances']['rotations']).reshape(-1, 3, 3)
    if len(gt) != len(pred):
        raise ValueError(f'{who}: {sample.get("img_path")} has {len(gt)} true heads but '
                         f'{len(pred)} predicted ones; this metric pairs them by index (one '
                         'head per crop); for detections use CocoHeadPoseMetric')
    return gt, pred


def _np(x) -> np.ndarray:
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)
