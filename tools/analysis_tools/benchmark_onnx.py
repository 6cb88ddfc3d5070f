"""Time RankPose inference in PyTorch eager mode against ONNX Runtime on this CPU.

``python tools/analysis_tools/benchmark_onnx.py [--depths 18 50] [--batch-sizes 1 32]
[--input-size 224] [--threads 2] [--min-iters 5] [--min-seconds 10]``

For each ResNet depth, a RankPose model (the quick-start config with that backbone,
random weights: speed does not depend on them; no flip test) is exported with a dynamic batch
dimension, and the same computation (uint8 BGR crops in; normalisation, network and
decoding to angles and rotation matrices) is timed in both runtimes with the same
number of threads. Each measurement repeats the batch at least ``--min-iters`` times
and for at least ``--min-seconds``, after 2 warm-up runs; the median is reported.
"""

import argparse
import os
import os.path as osp
import platform
import statistics
import sys
import tempfile
import time
from typing import Callable, List, Optional

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'rankpose', 'r18_arccos_synthheads.py')
CHANNELS = {18: 512, 34: 512, 50: 2048, 101: 2048}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default=CONFIG, help='the RankPose config to start from')
    parser.add_argument('--depths', type=int, nargs='+', default=[18, 50])
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 32])
    parser.add_argument('--input-size', type=int, default=224, help='square crop side')
    parser.add_argument('--threads', type=int, default=os.cpu_count() or 1,
                        help='threads of both runtimes (default: all cores)')
    parser.add_argument('--min-iters', type=int, default=5)
    parser.add_argument('--min-seconds', type=float, default=10.0)
    return parser.parse_args(argv)


def time_it(fn: Callable[[], object], min_iters: int, min_seconds: float) -> float:
    """Median seconds of one call of ``fn`` (2 warm-up calls first)."""
    for _ in range(2):
        fn()
    times, start = [], time.perf_counter()
    while len(times) < min_iters or time.perf_counter() - start < min_seconds:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or the platform's description)."""
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def main(argv: Optional[List[str]] = None) -> List[dict]:
    """Runs the benchmark; prints and returns one row per (depth, batch size)."""
    args = parse_args(argv)
    import onnxruntime as ort

    from headpose.apis import OnnxHeadPoseModel, export_onnx, init_model
    from headpose.apis.onnx_model import HeadPoseExportWrapper
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    size = args.input_size
    print(f'CPU: {cpu_model()}, {os.cpu_count()} logical cores; threads used: {args.threads}; '
          f'torch {torch.__version__}, onnxruntime {ort.__version__}; input {size}x{size}')
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for depth in args.depths:
            # One pass per crop: flip testing (the quick start's) would double both sides.
            model = init_model(args.config, cfg_options={
                'model.backbone.depth': depth, 'model.head.in_channels': CHANNELS[depth],
                'model.test_cfg.flip_test': False})
            path = osp.join(tmp, f'r{depth}.onnx')
            export_onnx(model, path, input_size=(size, size), dynamic=True)
            wrapper = HeadPoseExportWrapper(model).eval()
            runner = OnnxHeadPoseModel(path, num_threads=args.threads)
            for bs in args.batch_sizes:
                crops = np.random.default_rng(0).integers(0, 256, (bs, 3, size, size),
                                                          dtype=np.uint8)
                tensor = torch.from_numpy(crops)

                def run_torch():
                    with torch.no_grad():
                        return wrapper(tensor)

                t_torch = time_it(run_torch, args.min_iters, args.min_seconds)
                t_ort = time_it(lambda: runner.run(crops), args.min_iters, args.min_seconds)
                row = dict(model=f'RankPose-r{depth}', batch=bs,
                           torch_ms=t_torch * 1e3, ort_ms=t_ort * 1e3,
                           torch_ips=bs / t_torch, ort_ips=bs / t_ort,
                           speedup=t_torch / t_ort)
                rows.append(row)
                print(f'r{depth} batch {bs}: torch {row["torch_ms"]:.1f} ms, '
                      f'ORT {row["ort_ms"]:.1f} ms', flush=True)
    torch.set_num_threads(previous_threads)
    print('\n| model | batch | PyTorch eager ms/batch | ONNX Runtime ms/batch | PyTorch img/s '
          '| ONNX Runtime img/s | speed-up |')
    print('|---|---|---|---|---|---|---|')
    for r in rows:
        print(f'| {r["model"]} | {r["batch"]} | {r["torch_ms"]:.1f} | {r["ort_ms"]:.1f} | '
              f'{r["torch_ips"]:.1f} | {r["ort_ips"]:.1f} | {r["speedup"]:.2f}x |')
    return rows


if __name__ == '__main__':
    main()
