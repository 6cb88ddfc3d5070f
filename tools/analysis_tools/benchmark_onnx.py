"""Time RankPose and Multitask-Net inference in PyTorch eager mode against ONNX Runtime.

``python tools/analysis_tools/benchmark_onnx.py [--depths 18 50] [--batch-sizes 1 32]
[--input-size 224] [--threads 1 2] [--multitask-batch-sizes 1 2] [--warmup 2]
[--min-iters 5] [--min-seconds 10] [--no-malloc-cfg]``

For each ResNet depth, a RankPose model (the quick-start config with that backbone,
random weights: speed does not depend on them; no flip test) is exported with a dynamic batch
dimension, and the same computation (uint8 BGR crops in; normalisation, network and
decoding to angles and rotation matrices) is timed in both runtimes with the same
number of threads. Each measurement repeats the batch at least ``--min-iters`` times
and for at least ``--min-seconds``, after ``--warmup`` runs; the median is reported.

Multitask-Net (``--multitask-config``, default the paper's CMU Panoptic config: the full
Darknet-53 at 416 x 416, random weights, no flip test; ``--multitask-batch-sizes 0``:
skipped): the whole ``test_step`` of each runtime on packed letterboxed images (a random
640 x 480 image through the test pipeline): data preprocessing, network, selection and
NMS, pose decoding; ONNX Runtime runs the graph of ``tools/deployment/pytorch2onnx.py``
and ``OnnxHeadPoseModel``'s post-processing.

Each ``--threads`` value is measured in the same run, one after the other, so that
ratios between them are comparable. ``env_cfg.malloc_cfg`` of the configs' runtime
(glibc keeps freed memory for the next batch, as tools/test.py does) is applied unless
``--no-malloc-cfg``.
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
MULTITASK_CONFIG = osp.join(REPO, 'configs', 'multitask_net', 'd53_v2-vector_cmu-panoptic.py')
CHANNELS = {18: 512, 34: 512, 50: 2048, 101: 2048}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default=CONFIG, help='the RankPose config to start from')
    parser.add_argument('--depths', type=int, nargs='+', default=[18, 50])
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 32])
    parser.add_argument('--input-size', type=int, default=224, help='square crop side')
    parser.add_argument('--threads', type=int, nargs='+', default=[os.cpu_count() or 1],
                        help='threads of both runtimes, each measured (default: all cores)')
    parser.add_argument('--multitask-config', default=MULTITASK_CONFIG,
                        help='the Multitask-Net config')
    parser.add_argument('--multitask-batch-sizes', type=int, nargs='+', default=[1, 2],
                        help='Multitask-Net batch sizes (0: no Multitask-Net)')
    parser.add_argument('--warmup', type=int, default=2, help='untimed runs first')
    parser.add_argument('--no-malloc-cfg', action='store_true',
                        help='leave glibc malloc as it is (env_cfg.malloc_cfg not applied)')
    parser.add_argument('--min-iters', type=int, default=5)
    parser.add_argument('--min-seconds', type=float, default=10.0)
    return parser.parse_args(argv)


def time_it(fn: Callable[[], object], min_iters: int, min_seconds: float,
            warmup: int = 2) -> float:
    """Median seconds of one call of ``fn`` (``warmup`` untimed calls first)."""
    for _ in range(warmup):
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


def rankpose_cases(args: argparse.Namespace, tmp: str) -> list:
    """Per depth and batch size: (name, batch, PyTorch callable, ONNX Runtime callable for a
    number of threads)."""
    from headpose.apis import OnnxHeadPoseModel, export_onnx, init_model
    from headpose.apis.onnx_model import HeadPoseExportWrapper
    size = args.input_size
    cases = []
    for depth in args.depths:
        # One pass per crop: flip testing (the quick start's) would double both sides.
        model = init_model(args.config, cfg_options={
            'model.backbone.depth': depth, 'model.head.in_channels': CHANNELS[depth],
            'model.test_cfg.flip_test': False})
        path = osp.join(tmp, f'r{depth}.onnx')
        export_onnx(model, path, input_size=(size, size), dynamic=True)
        wrapper = HeadPoseExportWrapper(model).eval()
        for bs in args.batch_sizes:
            crops = np.random.default_rng(0).integers(0, 256, (bs, 3, size, size),
                                                      dtype=np.uint8)
            tensor = torch.from_numpy(crops)

            def run_torch(wrapper=wrapper, tensor=tensor):
                with torch.no_grad():
                    return wrapper(tensor)

            def ort_fn(threads, path=path, crops=crops):
                runner = OnnxHeadPoseModel(path, num_threads=threads)
                return lambda: runner.run(crops)

            cases.append((f'RankPose-r{depth}', bs, run_torch, ort_fn))
    return cases


def multitask_cases(args: argparse.Namespace, tmp: str) -> list:
    """Per batch size: the Multitask-Net cases (see :func:`rankpose_cases`)."""
    from headpose.apis import OnnxHeadPoseModel, build_test_pipeline, export_onnx, init_model
    from headpose.apis.onnx_model import letterbox_size_of
    sizes = [b for b in args.multitask_batch_sizes if b > 0]
    if not sizes:
        return []
    model = init_model(args.multitask_config, cfg_options={'model.test_cfg.flip_test': False})
    path = osp.join(tmp, 'multitask.onnx')
    export_onnx(model, path, dynamic=True)
    w, h = letterbox_size_of(model.cfg)
    pipeline = build_test_pipeline(model.cfg)
    img = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    item = pipeline(dict(img=img, img_path=None))
    name = f'Multitask-Net-d53 {w}x{h}'
    cases = []
    for bs in sizes:
        data = dict(inputs=[item['inputs']] * bs, data_samples=[item['data_samples']] * bs)

        def run_torch(data=data):
            with torch.no_grad():
                return model.test_step(data)

        def ort_fn(threads, data=data):
            runner = OnnxHeadPoseModel(path, num_threads=threads)
            return lambda: runner.test_step(data)

        cases.append((name, bs, run_torch, ort_fn))
    return cases


def main(argv: Optional[List[str]] = None) -> List[dict]:
    """Runs the benchmark; prints and returns one row per (threads, model, batch size)."""
    args = parse_args(argv)
    import onnxruntime as ort
    from mmengine.config import Config

    from headpose.utils.malloc import apply_malloc_cfg
    malloc_cfg = None if args.no_malloc_cfg else \
        Config.fromfile(args.config).get('env_cfg', {}).get('malloc_cfg')
    tuned = apply_malloc_cfg(malloc_cfg)
    previous_threads = torch.get_num_threads()
    print(f'CPU: {cpu_model()}, {os.cpu_count()} logical cores; threads: {args.threads}; '
          f'torch {torch.__version__}, onnxruntime {ort.__version__}; RankPose input '
          f'{args.input_size}x{args.input_size}; malloc: '
          f'{dict(malloc_cfg) if tuned else "glibc defaults"}')
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = rankpose_cases(args, tmp) + multitask_cases(args, tmp)
        for threads in args.threads:
            torch.set_num_threads(threads)
            for name, bs, run_torch, ort_fn in cases:
                run_ort = ort_fn(threads)
                t_torch = time_it(run_torch, args.min_iters, args.min_seconds, args.warmup)
                t_ort = time_it(run_ort, args.min_iters, args.min_seconds, args.warmup)
                row = dict(model=name, threads=threads, batch=bs,
                           torch_ms=t_torch * 1e3, ort_ms=t_ort * 1e3,
                           torch_ips=bs / t_torch, ort_ips=bs / t_ort,
                           speedup=t_torch / t_ort)
                rows.append(row)
                print(f'{name} threads {threads} batch {bs}: torch {row["torch_ms"]:.1f} ms, '
                      f'ORT {row["ort_ms"]:.1f} ms', flush=True)
    torch.set_num_threads(previous_threads)
    print('\n| model | threads | batch | PyTorch eager ms/batch | ONNX Runtime ms/batch '
          '| PyTorch img/s | ONNX Runtime img/s | speed-up |')
    print('|---|---|---|---|---|---|---|---|')
    for r in rows:
        print(f'| {r["model"]} | {r["threads"]} | {r["batch"]} | {r["torch_ms"]:.1f} | '
              f'{r["ort_ms"]:.1f} | {r["torch_ips"]:.1f} | {r["ort_ips"]:.1f} | '
              f'{r["speedup"]:.2f}x |')
    return rows


if __name__ == '__main__':
    main()
