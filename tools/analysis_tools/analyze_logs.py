"""Plot training curves and estimate training time from mmengine's JSON scalar logs.

``python tools/analysis_tools/analyze_logs.py plot_curve LOG [LOG ...] --keys loss loss_mse
[--legend A B] [--title T] [--out curve.png]``

``python tools/analysis_tools/analyze_logs.py cal_train_time LOG [LOG ...] [--include-outliers]``

A LOG is mmengine's scalar log (``vis_data/scalars.json`` or ``vis_data/TIMESTAMP.json``
of a run: one JSON object per line), a run folder (``work_dirs/NAME/TIMESTAMP``) or a
work dir (``work_dirs/NAME``: its latest run that has training records). Training
records carry ``epoch``, ``iter`` (counted over the whole run), ``step``, ``lr``, the
losses and ``time``; validation records carry the metrics and ``step`` (the epoch).

``plot_curve`` draws one panel per key, with one curve per log: training keys against
the iteration, validation keys (e.g. ``pose/MAE``) against the epoch.

``cal_train_time`` prints, per epoch, the mean logged seconds per iteration and the
epoch's estimated duration (that mean times the epoch's iterations), then the slowest
and fastest epochs and the average time per iteration. The logged ``time`` is mmengine's
running mean over the last ``log_processor.window_size`` iterations, so the figures are
estimates; the first logged record of the first epoch (data-loader start-up) is left
out unless ``--include-outliers`` is given.
"""

import argparse
import json
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from terminaltables import AsciiTable

Records = List[dict]


def find_log(path: str) -> str:
    """Resolves a log argument (file, run folder or work dir) into a scalar-log file.

    Raises:
        FileNotFoundError: naming ``path`` and where a log was looked for.
    """
    if osp.isfile(path):
        return path
    if not osp.isdir(path):
        raise FileNotFoundError(f'log not found: {path}')
    direct = osp.join(path, 'vis_data', 'scalars.json')
    if osp.isfile(direct):
        return direct
    runs = sorted((d for d in os.listdir(path)
                   if osp.isfile(osp.join(path, d, 'vis_data', 'scalars.json'))), reverse=True)
    if not runs:
        raise FileNotFoundError(f'{path}: no vis_data/scalars.json in it or in its run folders '
                                '(is it a work dir of tools/train.py?)')
    for run in runs:  # the latest run that trained (test runs log metrics only)
        candidate = osp.join(path, run, 'vis_data', 'scalars.json')
        if load_log(candidate)[0]:
            return candidate
    return osp.join(path, runs[0], 'vis_data', 'scalars.json')


def load_log(path: str) -> Tuple[Records, Records]:
    """Reads a scalar log; returns ``(training records, validation/test records)``.

    Raises:
        ValueError: naming the file and line of a line that is not a JSON object.
    """
    train, val = [], []
    with open(path) as f:
        for num, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}:{num}: not a JSON object ({err})') from err
            if not isinstance(record, dict):
                raise ValueError(f'{path}:{num}: not a JSON object')
            (train if 'iter' in record else val).append(record)
    return train, val


def curve(train: Records, val: Records, key: str, where: str) -> Tuple[np.ndarray, np.ndarray,
                                                                      str]:
    """The (x, y) points of ``key`` and the x axis' name (``iter`` or ``epoch``).

    Raises:
        KeyError: naming the key, the log and the keys the log has.
    """
    points = [(r['iter'], r[key]) for r in train if key in r]
    axis = 'iter'
    if not points:
        points = [(r['step'], r[key]) for r in val if key in r]
        axis = 'epoch'
    if not points:
        known = sorted({k for r in train + val for k in r} - {'iter', 'step', 'epoch'})
        raise KeyError(f'{where} has no {key!r}; its keys are: {", ".join(known)}')
    xs, ys = zip(*points)
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), axis


def plot_curve(logs: Sequence[str], keys: Sequence[str], out: str,
               legend: Optional[Sequence[str]] = None, title: Optional[str] = None) -> dict:
    """Draws one panel per key with one curve per log, and saves the figure to ``out``.

    Returns:
        ``{legend: {key: (xs, ys)}}``, the plotted points.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    legend = list(legend) if legend else [label_of(p) for p in logs]
    if len(legend) != len(logs):
        raise SystemExit(f'--legend: {len(legend)} labels for {len(logs)} logs')
    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.8), squeeze=False)
    plotted: Dict[str, dict] = OrderedDict()
    for label, path in zip(legend, logs):
        file = find_log(path)
        train, val = load_log(file)
        plotted[label] = {}
        for ax, key in zip(axes[0], keys):
            try:
                xs, ys, axis = curve(train, val, key, file)
            except KeyError as err:
                raise SystemExit(err.args[0]) from None
            ax.plot(xs, ys, marker='o' if axis == 'epoch' or len(xs) < 30 else None,
                    markersize=3, label=label)
            ax.set_xlabel(axis)
            plotted[label][key] = (xs, ys)
    for ax, key in zip(axes[0], keys):
        ax.set_title(key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize='small')
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    print(f'curves of {", ".join(keys)} written to {out}')
    return plotted


def label_of(path: str) -> str:
    """A short legend label for a log: its work dir's (or file's) name."""
    path = osp.normpath(path)
    if osp.isfile(path) and osp.basename(osp.dirname(path)) == 'vis_data':
        return osp.basename(osp.dirname(osp.dirname(osp.dirname(path))))
    return osp.basename(path)


def epoch_times(train: Records, include_outliers: bool = False) -> 'OrderedDict[int, dict]':
    """Per epoch: logged records, iterations, mean seconds per iteration, estimated duration.

    The iterations of an epoch are its last logged ``iter`` minus the previous epoch's.

    Raises:
        ValueError: if no training record has a ``time``.
    """
    by_epoch: 'OrderedDict[int, Records]' = OrderedDict()
    for r in train:
        if 'time' in r:
            by_epoch.setdefault(int(r.get('epoch', 1)), []).append(r)
    if not by_epoch:
        raise ValueError('no training record with a "time" in the log')
    out: 'OrderedDict[int, dict]' = OrderedDict()
    last_iter = 0
    for i, (epoch, records) in enumerate(sorted(by_epoch.items())):
        times = [r['time'] for r in records]
        if i == 0 and not include_outliers and len(times) > 1:
            times = times[1:]
        end = max(r['iter'] for r in records)
        iters = end - last_iter
        last_iter = end
        per_iter = float(np.mean(times))
        out[epoch] = dict(logged=len(records), iters=iters, sec_per_iter=per_iter,
                          epoch_time=per_iter * iters)
    return out


def cal_train_time(logs: Sequence[str], include_outliers: bool = False) -> dict:
    """Prints the per-epoch and average training times of each log; returns them."""
    results = {}
    for path in logs:
        file = find_log(path)
        train, _ = load_log(file)
        try:
            epochs = epoch_times(train, include_outliers)
        except ValueError as err:
            raise SystemExit(f'{file}: {err}') from None
        rows = [['epoch', 'logged records', 'iterations', 's / iter', 'epoch time (s)']]
        for epoch, e in epochs.items():
            rows.append([epoch, e['logged'], e['iters'], f'{e["sec_per_iter"]:.4f}',
                         f'{e["epoch_time"]:.1f}'])
        per_iter = np.array([e['sec_per_iter'] for e in epochs.values()])
        total_iters = sum(e['iters'] for e in epochs.values())
        average = float(sum(e['epoch_time'] for e in epochs.values()) / max(total_iters, 1))
        slowest = max(epochs, key=lambda k: epochs[k]['sec_per_iter'])
        fastest = min(epochs, key=lambda k: epochs[k]['sec_per_iter'])
        print(AsciiTable(rows, f'training time: {file}').table)
        print(f'slowest epoch {slowest}: {epochs[slowest]["sec_per_iter"]:.4f} s/iter')
        print(f'fastest epoch {fastest}: {epochs[fastest]["sec_per_iter"]:.4f} s/iter')
        print(f'std over epochs: {per_iter.std():.4f} s/iter')
        print(f'average: {average:.4f} s/iter; estimated training time: '
              f'{sum(e["epoch_time"] for e in epochs.values()):.1f} s')
        results[path] = dict(epochs=epochs, average=average, slowest=slowest, fastest=fastest)
    return results


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='task', required=True)
    plot = sub.add_parser('plot_curve', help='plot curves of logged keys')
    plot.add_argument('logs', nargs='+', help='scalars.json files, run folders or work dirs')
    plot.add_argument('--keys', nargs='+', default=['loss'], help='the keys to plot')
    plot.add_argument('--legend', nargs='+', help='one legend label per log')
    plot.add_argument('--title', help='the figure title')
    plot.add_argument('--out', default='curve.png', help='the image file to write')
    timing = sub.add_parser('cal_train_time', help='per-epoch and average training time')
    timing.add_argument('logs', nargs='+', help='scalars.json files, run folders or work dirs')
    timing.add_argument('--include-outliers', action='store_true',
                        help='keep the first logged record of the first epoch')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    try:
        if args.task == 'plot_curve':
            return plot_curve(args.logs, args.keys, args.out, args.legend, args.title)
        return cal_train_time(args.logs, args.include_outliers)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(str(err)) from None


if __name__ == '__main__':
    main()
