"""Compare a model's test error with always predicting the training set's mean pose.

``python tools/analysis_tools/mean_baseline.py CONFIG [--results test_results.json]``

The mean pose is taken from the training labels (no image is loaded); the baseline's
error is measured on the test labels. With ``--results`` (from ``tools/test.py --out``)
the model's error on the same images is printed beside it.
"""

import argparse
import json

import numpy as np
from mmengine.config import DictAction
from terminaltables import AsciiTable

from headpose.registry import DATASETS
from headpose.structures import matrix_to_euler
from headpose.utils import register_all_modules
from headpose.utils.launch import load_config


def labels_of(dataset_cfg: dict) -> np.ndarray:
    """(N, 3) ground-truth (yaw, pitch, roll) of a dataset config, images not loaded."""
    dataset = DATASETS.build(dataset_cfg)
    while hasattr(dataset, 'dataset'):  # unwrap PairDataset and similar wrappers
        dataset = dataset.dataset
    dataset.full_init()
    rots = np.concatenate([dataset.get_rotations(i) for i in range(len(dataset))])
    return matrix_to_euler(rots, getattr(dataset, 'full_range', False))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--results', help='a tools/test.py --out .json file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    mean = labels_of(cfg.train_dataloader.dataset).mean(0)
    if args.results:
        with open(args.results) as f:
            records = json.load(f)
        gt = np.array([[r['gt_yaw'], r['gt_pitch'], r['gt_roll']] for r in records])
        pred = np.array([[r['pred_yaw'], r['pred_pitch'], r['pred_roll']] for r in records])
    else:
        gt, pred = labels_of(cfg.test_dataloader.dataset), None
    rows = [['', 'yaw', 'pitch', 'roll', 'MAE']]
    out = {}
    for name, p in (('model', pred), ('training mean', np.broadcast_to(mean, gt.shape))):
        if p is None:
            continue
        err = np.abs(p - gt).mean(0)
        out[name] = dict(yaw=err[0], pitch=err[1], roll=err[2], MAE=err.mean())
        rows.append([name] + [f'{v:.2f}' for v in (*err, err.mean())])
    print(AsciiTable(rows, f'test MAE in degrees ({len(gt)} images; training mean pose '
                           f'{np.round(mean, 2).tolist()})').table)
    return out


if __name__ == '__main__':
    main()
