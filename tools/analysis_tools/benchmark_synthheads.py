"""Measure how many SynthHeads crops the procedural renderer makes per second on one core.

``python tools/analysis_tools/benchmark_synthheads.py [--num 500] [--size 128]
[--identities 50] [--seed 0] [--styles plain real]``

Renders ``--num`` crops of ``--size`` x ``--size`` pixels with ``render_head`` (random
identity among ``--identities``, random pose over the full yaw range, random background,
light, blur and noise, as the dataset does) in a single thread pinned to one CPU, and
prints crops per second measured on the wall clock and on the process CPU clock (the
latter is less sensitive to other jobs on a shared machine). The renderer is loaded
straight from its file, so neither torch nor the rest of the package is imported.

Styles (timed one after the other in one run, so compare their ratio): ``plain`` is
``render_head``'s defaults (the quick start's crops); ``real`` is the
``*_synthheads-real`` configs' ``render_cfg`` (landmark box, natural background,
photographic face detail, head at 0.65 of the crop); ``real-measured`` is ``real`` with
the people of ``sample_identity(face_geometry='measured')`` (the tilted jaw).
"""

import os

for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_var, '1')

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import os.path as osp  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RENDERER = osp.join(REPO_ROOT, 'headpose', 'datasets', 'synthheads', 'renderer.py')


def load_renderer():
    """Imports ``headpose/datasets/synthheads/renderer.py`` on its own (numpy + cv2 only)."""
    spec = importlib.util.spec_from_file_location('synthheads_renderer', RENDERER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """``Rx'(pitch) @ Ry'(yaw) @ Rz'(roll)`` (the toolbox convention), angles in degrees."""
    p, y, r = np.deg2rad([pitch, yaw, roll])
    rx = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)], [0, -np.sin(p), np.cos(p)]])
    ry = np.array([[np.cos(y), 0, -np.sin(y)], [0, 1, 0], [np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(r), np.sin(r), 0], [-np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rx @ ry @ rz


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num', type=int, default=500, help='crops to time')
    parser.add_argument('--size', type=int, default=128, help='crop side in pixels')
    parser.add_argument('--identities', type=int, default=50, help='distinct persons')
    parser.add_argument('--warmup', type=int, default=20, help='untimed crops first')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--styles', nargs='+', choices=sorted(STYLES), default=['plain', 'real'],
                        help='render styles to time, in this order')
    return parser.parse_args()


REAL = dict(scale=0.65, bbox_source='landmarks', background_style='natural', face_detail=True)
#: style: (render_head's options, sample_identity's options)
STYLES = {
    'plain': ({}, {}),
    'real': (REAL, {}),
    'real-measured': (REAL, dict(face_geometry='measured')),
}


def main() -> None:
    args = parse_args()
    cv2.setNumThreads(1)
    if hasattr(os, 'sched_setaffinity'):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    renderer = load_renderer()
    rng = np.random.default_rng(args.seed)
    total = args.num + args.warmup
    rots = [rotation(rng.uniform(-180, 180), rng.uniform(-75, 75), rng.uniform(-45, 45))
            for _ in range(total)]
    print(f'python {platform.python_version()}, numpy {np.__version__}, '
          f'opencv {cv2.__version__}, 1 thread')
    for style in args.styles:
        kwargs, identity_kwargs = STYLES[style]
        # The same people in every style (one seed per person).
        identities = [renderer.sample_identity(np.random.default_rng([args.seed, k]),
                                               **identity_kwargs)
                      for k in range(args.identities)]
        jobs = [(identities[i % len(identities)], rots[i]) for i in range(total)]
        for ident, rot in jobs[:args.warmup]:
            renderer.render_head(ident, rot, args.size, rng, **kwargs)
        wall, cpu = time.perf_counter(), time.process_time()
        for ident, rot in jobs[args.warmup:]:
            renderer.render_head(ident, rot, args.size, rng, **kwargs)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f'{style}: {args.num} crops of {args.size}x{args.size}: '
              f'{args.num / wall:.1f} crops/s (wall clock), '
              f'{args.num / max(cpu, 1e-9):.1f} crops/s (CPU time), '
              f'{1e3 * wall / args.num:.2f} ms/crop')


if __name__ == '__main__':
    main()
