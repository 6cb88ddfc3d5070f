"""Writes one record per image (file, ground truth, prediction) for later analysis."""

import csv
import json
import os
import os.path as osp
from typing import List, Sequence

from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from headpose.registry import METRICS
from headpose.structures import matrix_to_euler

from .mae_metric import _np, paired_rotations

FIELDS = ('img_path', 'gt_yaw', 'gt_pitch', 'gt_roll', 'pred_yaw', 'pred_pitch', 'pred_roll')


@METRICS.register_module()
class DumpHeadPoseResults(BaseMetric):
    """Dumps ``img_path``, ground truth and predicted (yaw, pitch, roll) per head.

    One record per predicted head (per image, for crops); its angles are those of the
    rotations in the data's Euler branch (the sample's ``full_range``), as
    ``HeadPoseMAE`` compares them.

    Used by ``tools/test.py --out``. The file is ``.json`` (a list of records) or
    ``.csv`` (one row per image); it is written to a temporary name and renamed, so an
    earlier file is only replaced by a complete one.

    Args:
        out_file: the output path (.json or .csv).
        collect_device: 'cpu' or 'gpu'.
    """

    def __init__(self, out_file: str, collect_device: str = 'cpu'):
        super().__init__(collect_device=collect_device)
        if not out_file.endswith(('.json', '.csv')):
            raise ValueError(f'DumpHeadPoseResults: out_file must end with .json or .csv, '
                             f'got {out_file}')
        self.out_file = out_file

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            full_range = bool(sample.get('full_range', False))
            if 'gt_instances' in sample:
                gt, pred = paired_rotations(sample, 'DumpHeadPoseResults')
            else:
                gt, pred = None, _np(sample['pred_instances']['rotations']).reshape(-1, 3, 3)
            for i, rot in enumerate(pred):
                rec = dict(img_path=sample.get('img_path'))
                if gt is not None:
                    rec.update(zip(FIELDS[1:4], matrix_to_euler(gt[i], full_range).tolist()))
                rec.update(zip(FIELDS[4:], matrix_to_euler(rot, full_range).tolist()))
                self.results.append(rec)

    def compute_metrics(self, results: List[dict]) -> dict:
        os.makedirs(osp.dirname(osp.abspath(self.out_file)), exist_ok=True)
        tmp = self.out_file + '.part'
        with open(tmp, 'w', newline='') as f:
            if self.out_file.endswith('.json'):
                json.dump(results, f, indent=1)
            else:
                writer = csv.DictWriter(f, fieldnames=FIELDS)
                writer.writeheader()
                writer.writerows(results)
        os.replace(tmp, self.out_file)
        print_log(f'wrote {len(results)} records to {self.out_file}', logger='current')
        return {}
