"""Measure the toolbox's speed against bare PyTorch and against the machine's limit.

``python tools/analysis_tools/benchmark.py CONFIG --task train|test|data|inference
[--iters N] [--rounds R] [--batch-size B] [--pipeline] [--threads T] [--compile]``

* ``train``: images/s of the toolbox's training step (data preprocessor, head losses,
  loss parsing, optimizer wrapper, and the runner's per-iteration hooks) and of a bare
  PyTorch step over the same model, batch, optimizer and synthetic tensors, the two
  interleaved step by step in this process (``--warmup`` + ``--rounds`` x ``--iters``
  pairs); the ratio of each pair, their median per round and overall; peak RSS.
  ``--pipeline`` feeds the toolbox from the config's real data pipeline (in the main
  process) instead of pre-made tensors.
* ``data``: images/s of the training pipeline in one process (= per worker), beside
  decoding and resizing the same images with OpenCV only (the floor).
* ``test`` / ``inference``: images/s and latency percentiles (p50, p90) of the
  toolbox's ``test_step`` and of the model's bare forward pass, interleaved step by step.

``--compile`` compiles the toolbox model's backbone and neck with ``torch.compile``
(as ``tools/train.py --compile`` and ``tools/test.py --compile`` do) and leaves the bare
loop eager: the per-step ratio then compares compiled toolbox steps with eager bare
ones, and dividing it by the ratio of a run without ``--compile`` gives the speed-up
of compiling. The first toolbox step (where compilation happens) is reported apart
and never among the timed steps.

Every run also prints the machine's measured fp32 matrix-multiply rate and the model's
FLOPs, and each throughput as a fraction of what they allow. Compare ratios taken in
one run: the machines here are shared and noisy.
"""

import argparse
import copy
import platform
import resource
import statistics
import time
from typing import Callable, List

import numpy as np
import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import DictAction
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.structures import InstanceData
from terminaltables import AsciiTable
from tqdm import tqdm

from headpose.models import optimize_for_inference, to_channels_last
from headpose.models.utils.compile import compile_model
from headpose.registry import DATASETS, MODELS
from headpose.structures import HeadPoseDataSample, euler_to_matrix, matrix_to_euler
from headpose.utils import register_all_modules
from headpose.utils.launch import load_config
from headpose.utils.malloc import apply_malloc_cfg


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--task', choices=['train', 'test', 'data', 'inference'],
                        default='train')
    parser.add_argument('--iters', type=int, default=10, help='timed iterations per round')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--batch-size', type=int, default=None,
                        help='images per step (default: the config\'s)')
    parser.add_argument('--input-size', type=int, nargs=2, default=None, metavar=('H', 'W'),
                        help='input size (default: the config\'s crop size)')
    parser.add_argument('--pipeline', action='store_true',
                        help='train: feed the toolbox from the real pipeline')
    parser.add_argument('--images', help='data: run the train pipeline on the images of '
                        'this folder instead of the config\'s dataset')
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--fuse-conv-bn', action='store_true',
                        help='test / inference: fold BatchNorm into the convolutions')
    parser.add_argument('--threads', type=int, default=None, help='torch threads')
    parser.add_argument('--compile', action='store_true', help='torch.compile the toolbox '
                        'model\'s backbone and neck (the bare loop stays eager)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def machine() -> str:
    cpu = platform.processor() or 'unknown CPU'
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f
                       if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    return f'{cpu}; torch {torch.__version__}; {torch.get_num_threads()} threads'


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def matmul_gflops(n: int = 1024, reps: int = 10, tries: int = 5) -> float:
    """Measured fp32 matrix-multiply rate (FLOP/s / 1e9) of this machine, best of ``tries``.

    ``main`` measures it before and after the timed work and takes the higher: the
    machine's speed drifts, and the higher rate gives the stricter bound.
    """
    a, b, c = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
    torch.mm(a, b, out=c)
    best = 0.0
    for _ in range(tries):
        t = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b, out=c)
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - t) / 1e9)
    return best


def input_size_of(cfg, args) -> tuple:
    if args.input_size:
        return tuple(args.input_size)
    for t in cfg.train_pipeline if 'train_pipeline' in cfg else []:
        if 'input_size' in t:
            w, h = t['input_size']
            return (h, w)
    return (224, 224)


def model_gflops(model, size: tuple) -> float:
    """Forward FLOPs per image / 1e9 (mmengine counts multiply-adds; FLOPs = 2 x MACs)."""
    net = torch.nn.Sequential(model.backbone, *(m for m in (model.neck, ) if m is not None))
    net.eval()
    macs = get_model_complexity_info(net, input_shape=(3, *size), show_table=False,
                                     show_arch=False)['flops']
    return 2.0 * macs / 1e9


def synthetic_batch(n: int, size: tuple, seed: int = 0, paired: bool = True) -> dict:
    """A packed batch as the dataloader yields it (pairs if ``paired``)."""
    rng = np.random.default_rng(seed)
    angles = rng.uniform(-60, 60, (n, 3))
    imgs, samples = [], []
    for i in range(n):
        s = HeadPoseDataSample()
        s.gt_instances = InstanceData(
            rotations=torch.as_tensor(euler_to_matrix(angles[i]), dtype=torch.float32)[None],
            bboxes=torch.tensor([[0.0, 0.0, size[-1], size[-2]]]))
        if paired:
            s.set_metainfo(dict(pair_role=int(i >= n // 2)))
        samples.append(s)
        imgs.append(torch.as_tensor(rng.integers(0, 255, (3, *size)), dtype=torch.uint8))
    if paired:
        h = n // 2
        return dict(inputs=[imgs[:h], imgs[h:]], data_samples=[samples[:h], samples[h:]])
    return dict(inputs=imgs, data_samples=samples)


def time_steps(step: Callable[[], None], iters: int, warmup: int) -> List[float]:
    """Seconds per call of ``step`` for ``iters`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return times


def build_model(cfg, args):
    model_cfg = copy.deepcopy(cfg.model)
    # Speed does not depend on the weights' values: a pretrained backbone is built from
    # its random initialisation, so that no weight file (or download) is needed.
    if ((model_cfg.get('backbone') or {}).get('init_cfg') or {}).get('type') == 'Pretrained':
        model_cfg.backbone.init_cfg = None
    model = MODELS.build(model_cfg)
    model.init_weights()
    if args.channels_last:
        to_channels_last(model)
    return model


class _Interleave(Hook):
    """Times each runner iteration and runs one bare step right after it.

    With the lowest priority its ``after_train_iter`` comes after every other hook's, so
    an iteration's time runs from the end of the previous bare step to there: the data
    fetch, every hook and ``train_step``. Pairing each iteration with a bare step taken
    a moment later cancels most of the drift of a shared machine's speed.
    """

    priority = 'LOWEST'

    def __init__(self, bare_step: Callable[[], None]):
        self.bare_step = bare_step
        self.toolbox: List[float] = []
        self.bare: List[float] = []
        self._mark = 0.0

    def before_train(self, runner):
        self._mark = time.perf_counter()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        t = time.perf_counter()
        self.toolbox.append(t - self._mark)
        self.bare_step()
        self.bare.append(time.perf_counter() - t)
        self._mark = time.perf_counter()


def run_interleaved(cfg, args, n: int, size: tuple, work_dir: str,
                    bare_step: Callable[[], None]) -> _Interleave:
    """A real mmengine Runner training loop, each iteration followed by a bare step."""
    from mmengine.dataset import pseudo_collate
    from mmengine.runner import Runner
    from torch.utils.data import ConcatDataset, DataLoader

    total = args.warmup + args.iters * args.rounds  # iterations, each with a bare step
    if args.pipeline:
        dataset = DATASETS.build(copy.deepcopy(cfg.train_dataloader.dataset))
        per_item = 2 if hasattr(dataset, 'partner') else 1
        steps = len(dataset) // (n // per_item)
        if steps == 0:
            raise SystemExit(f'--pipeline: the dataset has {len(dataset)} items, fewer than '
                             f'a batch of {n // per_item}')
        dataset = ConcatDataset([dataset] * -(-total // steps))
    else:
        batch = synthetic_batch(n, size)
        items = [dict(inputs=[a, b], data_samples=[sa, sb]) for a, b, sa, sb in zip(
            batch['inputs'][0], batch['inputs'][1], batch['data_samples'][0],
            batch['data_samples'][1])]
        # the same pre-made pairs for every iteration: mmengine's infinite iterator
        # sleeps 2 s whenever a dataloader runs out, so it must not run out
        dataset, per_item = items * total, 2
    loader = DataLoader(dataset, batch_size=n // per_item, shuffle=False, drop_last=True,
                        collate_fn=pseudo_collate, num_workers=0)
    timer = _Interleave(bare_step)
    hooks = copy.deepcopy(cfg.default_hooks)
    hooks.update(checkpoint=None, logger=dict(type='LoggerHook', interval=10**6))
    model = build_model(cfg, args)
    if args.compile:
        compile_model(model)
    runner = Runner(
        model=model, work_dir=work_dir, train_dataloader=loader,
        optim_wrapper=copy.deepcopy(cfg.optim_wrapper),
        train_cfg=dict(by_epoch=False, max_iters=total, val_interval=10**9),
        default_hooks=hooks, custom_hooks=[*copy.deepcopy(cfg.get('custom_hooks', [])), timer],
        default_scope='headpose',
        randomness=dict(seed=0), log_level='WARNING', visualizer=dict(type='Visualizer'))
    runner.train()
    return timer


def bench_train(cfg, args, size) -> dict:
    import tempfile
    n = args.batch_size or 2 * cfg.train_dataloader.batch_size
    batch = synthetic_batch(n, size)

    # The bare loop: the same model and batch, plain torch, Adam as in the configs.
    bare = build_model(cfg, args)
    bare.train()
    bare_opt = torch.optim.Adam(bare.parameters(), lr=1e-3)
    x = bare.data_preprocessor(batch, True)['inputs'].clone()
    targets = matrix_to_euler(torch.cat([s.gt_instances.rotations for half in
                                         batch['data_samples'] for s in half]).double()).float()
    half = n // 2

    def bare_step():
        pred = bare.head(bare.neck(bare.backbone(x)))
        loss = 0.5 * (pred - targets).pow(2).mean()
        order = torch.sign(targets[:half] - targets[half:])
        loss = loss + 0.5 * torch.relu(-order * (pred[:half] - pred[half:])).sum(1).mean()
        bare_opt.zero_grad(set_to_none=True)
        loss.backward()
        bare_opt.step()

    with tempfile.TemporaryDirectory() as work_dir:
        timer = run_interleaved(cfg, args, n, size, work_dir, bare_step)
    # per-step ratios of neighbouring steps (warm-up dropped), summarised per round
    tool, bare_t = timer.toolbox[args.warmup:], timer.bare[args.warmup:]
    step_ratios = [a / b for a, b in zip(tool, bare_t)]
    rows = []
    for r in range(args.rounds):
        part = slice(r * args.iters, (r + 1) * args.iters)
        rows.append((n / statistics.median(tool[part]), n / statistics.median(bare_t[part]),
                     statistics.median(step_ratios[part])))
    return dict(images=n, first_step_s=timer.toolbox[0], toolbox=[r[0] for r in rows],
                bare=[r[1] for r in rows],
                ratio=[r[2] for r in rows], step_ratios=step_ratios,
                median_ratio=statistics.median(step_ratios),
                toolbox_median=n / statistics.median(tool),
                bare_median=n / statistics.median(bare_t))


def bench_infer(cfg, args, size) -> dict:
    n = args.batch_size or cfg.test_dataloader.batch_size
    model = build_model(cfg, args)
    model.eval()
    if args.fuse_conv_bn:  # folding makes new weights: NHWC (if asked for) after it
        optimize_for_inference(model, fuse_conv_bn=True, channels_last=args.channels_last)
    batch = synthetic_batch(n, size, paired=False)
    x = model.data_preprocessor(batch, False)['inputs']
    bare = model
    if args.compile:  # the bare loop stays eager: a copy made before compiling
        bare = copy.deepcopy(model)
        compile_model(model)
    # The bare loop does what test_step does: with flip testing, the mirrored crops too.
    flip = bool(getattr(model, 'test_cfg', None) and model.test_cfg.get('flip_test'))

    def toolbox_step():
        with torch.no_grad():
            model.test_step(batch)

    def bare_step():
        with torch.no_grad():
            bare.head(bare.neck(bare.backbone(x)))
            if flip:
                bare.head(bare.neck(bare.backbone(x.flip(-1))))

    # Interleaved step by step, as in training: the machine's drift hits both alike.
    steps = dict(toolbox=toolbox_step, bare=bare_step)
    times = {name: [] for name in steps}
    first_step_s = time_steps(toolbox_step, 1, 0)[0]  # compiles, with --compile
    for _ in range(args.warmup):
        for step in steps.values():
            step()
    for _ in tqdm(range(args.rounds * args.iters), desc='inference steps (toolbox, bare)'):
        for name, step in steps.items():
            times[name] += time_steps(step, 1, 0)
    out = dict(images=n, passes=2 if flip else 1, first_step_s=first_step_s)
    for name, t in times.items():
        out[name] = n / statistics.median(t)
        out[f'{name}_p50_ms'] = float(np.percentile(t, 50) * 1000)
        out[f'{name}_p90_ms'] = float(np.percentile(t, 90) * 1000)
    out['median_ratio'] = statistics.median(a / b for a, b in zip(times['toolbox'],
                                                                 times['bare']))
    return out


def bench_data(cfg, args) -> dict:
    """Pipeline images/s in one process vs. OpenCV decode + resize of the same images.

    With ``--images DIR`` the config's ``train_pipeline`` runs on the JPEG/PNG files of
    that folder (head box: the central 60% of each image; released angles given, as
    the real data sets give them), else on the config's own training dataset. Both are
    warmed up (file cache, first-call costs), then timed in ``--rounds`` alternating
    rounds of ``10 * --iters`` images each; the cost ratio is the median of the rounds'.
    """
    import glob
    import os

    import cv2
    from mmengine.dataset import Compose
    size = input_size_of(cfg, args)
    count = args.iters * 10
    if args.images:
        files = sorted(f for ext in ('jpg', 'jpeg', 'png')
                       for f in glob.glob(os.path.join(args.images, f'*.{ext}')))
        if not files:
            raise SystemExit(f'--images: no .jpg or .png files in {args.images}')
        pipeline = Compose(copy.deepcopy(cfg.train_pipeline))
        infos = []
        for path in files:
            h, w = cv2.imread(path).shape[:2]
            infos.append(dict(img_path=path, rotation=np.eye(3), pose=np.zeros(3),
                              bbox=np.array([0.2 * w, 0.2 * h, 0.8 * w, 0.8 * h], np.float32)))
        paths = [infos[i % len(infos)]['img_path'] for i in range(count)]

        def run_one(i):
            pipeline(dict(infos[i % len(infos)]))
    else:
        dataset = DATASETS.build(copy.deepcopy(cfg.train_dataloader.dataset))
        inner = dataset.dataset if hasattr(dataset, 'dataset') else dataset
        inner.full_init()
        count = min(len(inner), count)
        paths = [inner.get_data_info(i).get('img_path') for i in range(count)]

        def run_one(i):
            inner[i]
    on_disk = all(p and os.path.isfile(p) for p in paths)

    def run_floor(i):
        cv2.resize(cv2.imread(paths[i], cv2.IMREAD_COLOR), (size[1], size[0]))

    def timed(fn, n):
        t = time.perf_counter()
        for i in range(n):
            fn(i)
        return time.perf_counter() - t

    warm = min(count, max(len(set(paths)), 5))
    timed(run_one, warm)
    if on_disk:
        timed(run_floor, warm)
    pipe_times, floor_times = [], []
    for _ in tqdm(range(max(args.rounds, 1)), desc='rounds (pipeline, decode + resize)'):
        pipe_times.append(timed(run_one, count))
        if on_disk:
            floor_times.append(timed(run_floor, count))
    out = dict(images=count, rounds=len(pipe_times),
               pipeline=count / statistics.median(pipe_times), floor=None)
    if on_disk:
        out['floor'] = count / statistics.median(floor_times)
        out['ratios'] = [p / f for p, f in zip(pipe_times, floor_times)]
        out['ratio'] = statistics.median(out['ratios'])
    return out


def print_first_step(res: dict, args: argparse.Namespace) -> None:
    """Prints the first toolbox step's time: with ``--compile``, the compilation's."""
    print(f'first toolbox step: {res["first_step_s"]:.1f} s'
          + (' (torch.compile included; the bare loop is eager)' if args.compile else ''))


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()
    # init_weights logs every parameter at INFO; the figures are what this tool prints
    MMLogger.get_instance('headpose-benchmark', log_level='WARNING')
    cfg = load_config(args.config, args.cfg_options)
    # as tools/train.py and tools/test.py do; --cfg-options env_cfg.malloc_cfg=None: off
    malloc_cfg = cfg.get('env_cfg', {}).get('malloc_cfg')
    tuned = apply_malloc_cfg(malloc_cfg)
    size = input_size_of(cfg, args)
    print(f'machine: {machine()}; malloc thresholds: '
          f'{dict(malloc_cfg) if tuned else "glibc defaults"}')
    gflops_before = matmul_gflops()
    model = MODELS.build(copy.deepcopy(cfg.model))
    gflops_img = model_gflops(model, size)
    print(f'model forward: {gflops_img:.3f} GFLOP per {size[0]}x{size[1]} image')
    if args.task == 'train':
        res = bench_train(cfg, args, size)
    elif args.task in ('test', 'inference'):
        res = bench_infer(cfg, args, size)
    else:
        res = bench_data(cfg, args)
    gflops_after = matmul_gflops()
    gflops_machine = max(gflops_before, gflops_after)
    print(f'matmul rate: {gflops_before:.1f} GFLOP/s before, {gflops_after:.1f} after; '
          f'bounds use {gflops_machine:.1f}')
    # Training costs about 3x the forward FLOPs (forward + two backward products).
    if args.task == 'train':
        bound = gflops_machine / (3 * gflops_img)
        rows = [['steps', 'toolbox img/s', 'bare img/s', 'ratio (toolbox / bare time)']]
        rows += [[f'{i * args.iters}-{(i + 1) * args.iters - 1}', f'{a:.1f}', f'{b:.1f}',
                  f'{c:.3f}']
                 for i, (a, b, c) in enumerate(zip(res['toolbox'], res['bare'], res['ratio']))]
        rows.append(['all (median)', f'{res["toolbox_median"]:.1f}',
                     f'{res["bare_median"]:.1f}', f'{res["median_ratio"]:.3f}'])
        print(AsciiTable(rows, f'training, batch {res["images"]} images; ratios are medians '
                               'of the per-step ratios').table)
        print(f'FLOP bound: {bound:.1f} img/s; toolbox reaches '
              f'{res["toolbox_median"] / bound:.0%} of it; '
              f'peak RSS {peak_rss_mb():.0f} MB')
        res.update(bound=bound, peak_rss_mb=peak_rss_mb())
        print_first_step(res, args)
    elif args.task in ('test', 'inference'):
        # flip testing runs the network twice per image
        bound = gflops_machine / (res['passes'] * gflops_img)
        rows = [['', 'img/s', 'p50 ms', 'p90 ms', 'of FLOP bound']]
        for name in ('toolbox', 'bare'):
            rows.append([name, f'{res[name]:.1f}', f'{res[name + "_p50_ms"]:.1f}',
                         f'{res[name + "_p90_ms"]:.1f}', f'{res[name] / bound:.0%}'])
        print(AsciiTable(rows, f'inference, batch {res["images"]}; FLOP bound '
                               f'{bound:.1f} img/s').table)
        print(f'ratio (toolbox / bare time), median of the per-step ratios: '
              f'{res["median_ratio"]:.3f}')
        res.update(bound=bound, peak_rss_mb=peak_rss_mb())
        print_first_step(res, args)
    else:
        rows = [['', 'img/s']]
        rows.append(['pipeline (one process)', f'{res["pipeline"]:.1f}'])
        if res['floor']:
            rows.append(['OpenCV decode + resize', f'{res["floor"]:.1f}'])
            rows.append(['cost ratio, median of rounds', f'{res["ratio"]:.2f}'])
            rows.append(['cost ratio per round',
                         ' '.join(f'{r:.2f}' for r in res['ratios'])])
        print(AsciiTable(rows, f'data pipeline, {res["images"]} images a round, '
                               f'{res["rounds"]} rounds').table)
    res.update(matmul_gflops=gflops_machine, matmul_gflops_before=gflops_before,
               matmul_gflops_after=gflops_after, model_gflops=gflops_img, malloc_tuned=tuned)
    return res


if __name__ == '__main__':
    main()
