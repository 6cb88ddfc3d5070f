"""Measure how long building the 300W-LP index takes (uncached and cached) and its memory.

``python tools/analysis_tools/benchmark_w300lp_index.py [--num 122450] [--work-dir DIR]
[--keep]``

Writes ``--num`` small ``.mat`` files (``Pose_Para`` and ``pt2d``, as in the release)
and empty ``.jpg`` stand-ins into a temporary folder laid out like 300W-LP (the eight
subsets in the release's proportions, ~16 images per identity), then builds
``W300LPDataset`` + ``PairDataset`` in a fresh process twice: first with no annotation
cache (every file is parsed), then from the cache. Each run reports the start time and
the process's resident memory before and at its peak (``VmRSS`` / ``VmHWM``).
"""

import argparse
import json
import os
import os.path as osp
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

#: Images per source subset of the release (each has a mirrored ``_Flip`` copy).
RELEASE_COUNTS = dict(AFW=5207, HELEN=37676, IBUG=1786, LFPW=16556)


def proc_status_kb(key: str) -> int:
    """A ``/proc/self/status`` field in kB (``VmRSS``, ``VmHWM``); 0 where unavailable."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    if key == 'VmHWM':  # peak RSS from getrusage (kB on Linux)
        import resource
        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return 0


def make_fake_300wlp(root: str, num: int, seed: int = 0) -> int:
    """Writes ``num`` annotation files (+ empty images) laid out like 300W-LP."""
    import scipy.io as sio
    from tqdm import tqdm

    total = sum(RELEASE_COUNTS.values()) * 2
    subsets = [(s, n) for s, n in RELEASE_COUNTS.items()] + \
        [(f'{s}_Flip', n) for s, n in RELEASE_COUNTS.items()]
    counts = [max(1, round(num * n / total)) for _, n in subsets]
    counts[1] += num - sum(counts)  # HELEN absorbs the rounding
    rng = np.random.default_rng(seed)
    pt2d = np.stack([np.linspace(100, 300, 68), np.linspace(120, 330, 68)])
    bar = tqdm(total=num, desc='writing fake 300W-LP', unit='file', mininterval=1.0)
    for (subset, _), count in zip(subsets, counts):
        folder = osp.join(root, subset)
        os.makedirs(folder, exist_ok=True)
        prefix = subset.replace('_Flip', '')
        for i in range(count):
            stem = f'{prefix}_{i // 16:06d}_1_{i % 16}'
            pose = np.zeros((1, 7), np.float32)
            pose[0, :3] = rng.uniform(-1.2, 1.2, 3)
            sio.savemat(osp.join(folder, stem + '.mat'), dict(Pose_Para=pose, pt2d=pt2d))
            open(osp.join(folder, stem + '.jpg'), 'wb').close()
            bar.update()
    bar.close()
    return int(sum(counts))


def measure(data_root: str, cache_dir: str) -> dict:
    """Builds the index in this process; returns times and memory (run in a subprocess)."""
    import logging

    from mmengine.logging import MMLogger

    from headpose.datasets import PairDataset, W300LPDataset
    MMLogger.get_instance('headpose-bench', log_level=logging.WARNING)
    rss_before = proc_status_kb('VmRSS')
    t0 = time.perf_counter()
    dataset = W300LPDataset(data_root=data_root, cache_dir=cache_dir, pipeline=[])
    t_dataset = time.perf_counter() - t0
    pairs = PairDataset(dataset)
    pairs.full_init()
    t_pairs = time.perf_counter() - t0
    return dict(num_images=len(dataset), seconds_dataset=t_dataset, seconds_with_pairs=t_pairs,
                rss_before_mb=rss_before / 1024, rss_after_mb=proc_status_kb('VmRSS') / 1024,
                rss_peak_mb=proc_status_kb('VmHWM') / 1024,
                table_mb=dataset.data_list.nbytes / 2**20,
                identities=len(pairs._groups))


def run_measure(data_root: str, cache_dir: str) -> dict:
    """Runs :func:`measure` in a fresh Python process (clean memory figures)."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO_ROOT)
    proc = subprocess.run([sys.executable, __file__, '--measure', data_root, cache_dir],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f'measuring failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num', type=int, default=122450, help='number of fake images')
    parser.add_argument('--work-dir', help='where to write the fake data (default: a temp dir)')
    parser.add_argument('--keep', action='store_true', help='keep the fake data afterwards')
    parser.add_argument('--measure', nargs=2, metavar=('DATA_ROOT', 'CACHE_DIR'),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return {}
    work = args.work_dir or tempfile.mkdtemp(prefix='bench_300wlp_')
    data_root, cache_dir = osp.join(work, '300W_LP'), osp.join(work, 'cache')
    try:
        t0 = time.perf_counter()
        num = make_fake_300wlp(data_root, args.num)
        t_make = time.perf_counter() - t0
        shutil.rmtree(cache_dir, ignore_errors=True)
        first = run_measure(data_root, cache_dir)
        second = run_measure(data_root, cache_dir)
        cache_mb = sum(osp.getsize(osp.join(cache_dir, f)) for f in os.listdir(cache_dir)) / 2**20
    finally:
        if not args.keep and not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)
    print(f'machine: {platform.platform()}, {os.cpu_count()} CPUs, Python '
          f'{platform.python_version()}')
    print(f'{num} fake 300W-LP annotations written in {t_make:.0f} s')
    for name, r in (('first start (no cache, parses every .mat)', first),
                    ('second start (from the cache)', second)):
        print(f'{name}: W300LPDataset {r["seconds_dataset"]:.2f} s, with PairDataset '
              f'{r["seconds_with_pairs"]:.2f} s; RSS {r["rss_before_mb"]:.0f} MB before, '
              f'{r["rss_after_mb"]:.0f} MB after, peak {r["rss_peak_mb"]:.0f} MB '
              f'(peak - before: {r["rss_peak_mb"] - r["rss_before_mb"]:.0f} MB); index '
              f'arrays {r["table_mb"]:.1f} MB, {r["identities"]} identities')
    print(f'cache files: {cache_mb:.1f} MB')
    return dict(num=num, first=first, second=second, cache_mb=cache_mb)


if __name__ == '__main__':
    main()
