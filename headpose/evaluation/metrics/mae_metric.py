"""HeadPoseMAE: the mean absolute error of yaw, pitch and roll, and the geodesic error."""

from typing import List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from terminaltables import AsciiTable

from headpose.registry import METRICS
from headpose.structures import geodesic_distance, wrapped_angle_error

YAW_BINS = (0, 30, 60, 90, 180)


@METRICS.register_module()
class HeadPoseMAE(BaseMetric):
    """Mean absolute error of (yaw, pitch, roll) in degrees, and their mean ('MAE').

    Every image counts once whatever the batch size or number of processes:
    ``process`` keeps one record per image and ``compute_metrics`` reduces them all.

    Args:
        filter_abs_angle: drop images whose ground truth has any |angle| above this
            (the papers' AFLW2000 protocol: 99, leaving 1969 of 2000); ``None`` keeps all.
        wrap_yaw: compare yaw on the circle, ``min(|d|, 360 - |d|)`` (full-range data).
        geodesic: also report the mean geodesic angle between the rotations.
        yaw_bins: edges of |yaw| ranges for the per-range table (``None``: no table).
        collect_device: 'cpu' or 'gpu', for gathering results across processes.
        prefix: the metric names' prefix.
    """

    default_prefix = 'pose'

    def __init__(self, filter_abs_angle: Optional[float] = None, wrap_yaw: bool = False,
                 geodesic: bool = True, yaw_bins: Optional[Sequence[float]] = YAW_BINS,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.filter_abs_angle = filter_abs_angle
        self.wrap_yaw = wrap_yaw
        self.geodesic = geodesic
        self.yaw_bins = tuple(yaw_bins) if yaw_bins else None

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'pred_pose' not in sample:
                raise KeyError('HeadPoseMAE: a data sample has no pred_pose; was the model run '
                               "in 'predict' mode?")
            self.results.append(dict(
                gt_pose=np.asarray(sample['gt_pose'], dtype=np.float64),
                pred_pose=np.asarray(sample['pred_pose'], dtype=np.float64),
                gt_rotation=np.asarray(sample['gt_rotation'], dtype=np.float64),
                pred_rotation=np.asarray(sample['pred_rotation'], dtype=np.float64)))

    def compute_metrics(self, results: List[dict]) -> dict:
        gt = np.stack([r['gt_pose'] for r in results])
        pred = np.stack([r['pred_pose'] for r in results])
        keep = np.ones(len(gt), dtype=bool)
        if self.filter_abs_angle is not None:
            keep = np.all(np.abs(gt) <= self.filter_abs_angle, axis=1)
        gt, pred = gt[keep], pred[keep]
        if len(gt) == 0:
            raise ValueError('HeadPoseMAE: no image left to evaluate after the |angle| <= '
                             f'{self.filter_abs_angle} filter')
        err = np.abs(pred - gt)
        if self.wrap_yaw:
            err[:, 0] = wrapped_angle_error(pred[:, 0], gt[:, 0])
        metrics = dict(yaw=err[:, 0].mean(), pitch=err[:, 1].mean(), roll=err[:, 2].mean())
        metrics['MAE'] = float(np.mean([metrics['yaw'], metrics['pitch'], metrics['roll']]))
        rows = [['', 'yaw', 'pitch', 'roll', 'MAE']]
        rows.append(['all'] + [f'{metrics[k]:.3f}' for k in ('yaw', 'pitch', 'roll', 'MAE')])
        if self.geodesic:
            geo = geodesic_distance(np.stack([r['gt_rotation'] for r in results])[keep],
                                    np.stack([r['pred_rotation'] for r in results])[keep])
            metrics['geodesic'] = float(geo.mean())
        metrics['num_images'] = int(keep.sum())
        if self.yaw_bins:
            for lo, hi in zip(self.yaw_bins[:-1], self.yaw_bins[1:]):
                sel = (np.abs(gt[:, 0]) >= lo) & (np.abs(gt[:, 0]) < hi)
                if sel.any():
                    e = err[sel].mean(0)
                    rows.append([f'|yaw| in [{lo}, {hi}): {sel.sum()}'] +
                                [f'{v:.3f}' for v in (*e, e.mean())])
        title = f'head pose error in degrees ({metrics["num_images"]} images'
        if self.filter_abs_angle is not None:
            title += f', {int((~keep).sum())} dropped by |angle| > {self.filter_abs_angle}'
        print_log('\n' + AsciiTable(rows, title + ')').table, logger='current')
        return {k: float(v) for k, v in metrics.items()}
