"""Plot the cumulative error distribution (CED) of yaw, pitch and roll from test records.

``python tools/analysis_tools/plot_ced.py OUT1.json [OUT2.csv ...] --out ced.png
[--labels A B ...] [--max-error 30] [--wrap-yaw] [--filter-abs-angle 99]``

The inputs are the per-image records of ``tools/test.py --out`` (.json or .csv). For each
angle the curve gives the share of images whose absolute error is at most x degrees
(RankPose's Fig. 4); one curve per input file, one panel per angle plus their mean. The
shares of images with an error of at most 5, 10, 15 and 20 degrees are printed as a
table.
"""

import argparse
import csv
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Sequence

import numpy as np
from terminaltables import AsciiTable

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from headpose.structures import wrapped_angle_error  # noqa: E402

ANGLES = ('yaw', 'pitch', 'roll')
THRESHOLDS = (5, 10, 15, 20)
FIELDS = tuple(f'{k}_{a}' for k in ('gt', 'pred') for a in ANGLES)


def read_records(path: str) -> np.ndarray:
    """Reads test records; returns an (N, 6) array gt yaw/pitch/roll, pred yaw/pitch/roll.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: naming the file if it is not a list of records with those fields.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'records file not found: {path}')
    if path.endswith('.csv'):
        with open(path, newline='') as f:
            records = list(csv.DictReader(f))
    elif path.endswith('.json'):
        with open(path) as f:
            try:
                records = json.load(f)
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}: not valid JSON ({err})') from err
    else:
        raise ValueError(f'{path}: expected a .json or .csv file of tools/test.py --out')
    if not isinstance(records, list) or not records:
        raise ValueError(f'{path}: expected a non-empty list of records (tools/test.py --out)')
    missing = [k for k in FIELDS if k not in records[0] or records[0][k] in (None, '')]
    if missing:
        raise ValueError(f'{path}: the records have no {", ".join(missing)}; a CED needs the '
                         'ground truth and the predictions (was the test set labelled?)')
    try:
        return np.array([[float(r[k]) for k in FIELDS] for r in records], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f'{path}: a record lacks a number in {FIELDS} ({err})') from err


def angle_errors(values: np.ndarray, wrap_yaw: bool = False) -> np.ndarray:
    """(N, 6) records -> (N, 4) absolute errors of yaw, pitch, roll and their mean."""
    gt, pred = values[:, :3], values[:, 3:]
    err = np.abs(pred - gt)
    if wrap_yaw:
        err[:, 0] = wrapped_angle_error(pred[:, 0], gt[:, 0])
    return np.concatenate([err, err.mean(1, keepdims=True)], axis=1)


def shares_below(errors: np.ndarray, thresholds: Sequence[float] = THRESHOLDS) -> np.ndarray:
    """(N, K) errors -> (K, T) share of images with an error of at most each threshold."""
    return np.stack([(errors <= t).mean(0) for t in thresholds], axis=1)


def plot(curves: Dict[str, np.ndarray], out_file: str, max_error: float) -> None:
    """Draws one panel per angle (and the mean) with one CED curve per input."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    names = ANGLES + ('mean',)
    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3.6), sharey=True)
    xs = np.linspace(0, max_error, 301)
    for label, errors in curves.items():
        for k, ax in enumerate(axes):
            e = np.sort(errors[:, k])
            ax.plot(xs, np.searchsorted(e, xs, side='right') / len(e) * 100, label=label)
    for ax, name in zip(axes, names):
        ax.set_title(name)
        ax.set_xlabel('absolute error (degrees)')
        ax.set_xlim(0, max_error)
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel('images (%)')
    axes[-1].legend(loc='lower right', fontsize='small')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.savefig(out_file, dpi=120)
    plt.close(fig)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('records', nargs='+', help='files of tools/test.py --out (.json/.csv)')
    parser.add_argument('--out', required=True, help='the .png to write')
    parser.add_argument('--labels', nargs='+', help='one legend label per records file')
    parser.add_argument('--max-error', type=float, default=30.0, help='x-axis end (degrees)')
    parser.add_argument('--wrap-yaw', action='store_true',
                        help='yaw error on the circle, min(|d|, 360 - |d|) (full-range data)')
    parser.add_argument('--filter-abs-angle', type=float, default=None,
                        help='drop images whose ground truth has any |angle| above this')
    return parser.parse_args(argv)


def main(argv=None) -> Dict[str, Dict[str, List[float]]]:
    args = parse_args(argv)
    labels = args.labels or [osp.splitext(osp.basename(p))[0] for p in args.records]
    if len(labels) != len(args.records):
        raise SystemExit(f'--labels: {len(labels)} labels for {len(args.records)} files')
    if not args.out.endswith('.png'):
        raise SystemExit(f'--out must be a .png file, got {args.out}')
    curves, table = {}, [['file', 'angle', 'images'] + [f'<= {t} deg' for t in THRESHOLDS]]
    result = {}
    for label, path in zip(labels, args.records):
        values = read_records(path)
        if args.filter_abs_angle is not None:
            values = values[np.all(np.abs(values[:, :3]) <= args.filter_abs_angle, axis=1)]
            if not len(values):
                raise SystemExit(f'{path}: no image left after the |angle| <= '
                                 f'{args.filter_abs_angle} filter')
        errors = angle_errors(values, args.wrap_yaw)
        curves[label] = errors
        shares = shares_below(errors)
        result[label] = {}
        for k, name in enumerate(ANGLES + ('mean',)):
            result[label][name] = shares[k].tolist()
            table.append([label, name, len(values)] + [f'{100 * s:.1f}%' for s in shares[k]])
    plot(curves, args.out, args.max_error)
    print(AsciiTable(table, 'share of images with an error of at most x degrees').table)
    print(f'CED plot written to {args.out}')
    return result


if __name__ == '__main__':
    main()
