"""Writes one record per image (file, ground truth, prediction) for later analysis."""

import csv
import json
import os
import os.path as osp
from typing import List, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from headpose.registry import METRICS

FIELDS = ('img_path', 'gt_yaw', 'gt_pitch', 'gt_roll', 'pred_yaw', 'pred_pitch', 'pred_roll')


@METRICS.register_module()
class DumpHeadPoseResults(BaseMetric):
    """Dumps ``img_path``, ground truth and predicted (yaw, pitch, roll) per image.

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
            rec = dict(img_path=sample.get('img_path'))
            if 'gt_pose' in sample:
                rec.update(zip(FIELDS[1:4], np.asarray(sample['gt_pose'], float).tolist()))
            rec.update(zip(FIELDS[4:], np.asarray(sample['pred_pose'], float).tolist()))
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
