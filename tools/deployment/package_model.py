"""Package a trained checkpoint as a model that ships inside headpose, with its model card.

``python tools/deployment/package_model.py CONFIG CHECKPOINT [--name NAME]``

Writes ``headpose/model_zoo/NAME/`` (``--out-dir`` elsewhere):

* ``model.pth``: the weights in half precision with the resolved config embedded
  (:func:`headpose.model_zoo.write_packaged_model`); refused above ``--max-mb`` (25);
* ``README.md``: the model card, its numbers measured by this command on this
  machine: the test set of the config (``--cfg-options`` may point it elsewhere) with
  the packaged weights (the figure ``tools/test.py CONFIG model.pth`` prints), by
  |yaw| range, the largest change of any angle from the float32 checkpoint, and the
  time a face takes on one thread with PyTorch and with ONNX Runtime. ``--training-data``
  and ``--notes`` (a markdown file: what the model is not good at, anything else) fill
  the parts that cannot be measured;
* ``metrics.json``: the same numbers, for tools.

Examples::

    python tools/deployment/package_model.py configs/rankpose/r18_cosine_synthheads-aflw.py \\
        work_dirs/r18_cosine_synthheads-aflw/epoch_7.pth --notes notes.md
    python tools/deployment/package_model.py CONFIG CKPT --name my_model --out-dir /tmp/zoo/my_model

Exit status 0 when written, 2 for a bad setup (missing file, mismatched checkpoint, a
file above the size limit).
"""

import argparse
import hashlib
import json
import os
import os.path as osp
import shlex
import sys
from datetime import datetime, timezone
from typing import List, Optional

import numpy as np
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

from headpose.model_zoo import (  # noqa: E402
    CARD_FILE,
    DEFAULT_MODEL,
    MODEL_FILE,
    MODEL_ZOO_DIR,
    load_packaged_model,
    write_packaged_model,
)

#: |yaw| ranges of the model card's accuracy table (degrees).
YAW_BANDS = (0, 30, 60, 90, 180)
#: The largest packaged model file, in MiB (the issue's limit: package data stays small).
MAX_MB = 25.0


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='the config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='the trained checkpoint (.pth)')
    parser.add_argument('--name', default=DEFAULT_MODEL,
                        help=f'the packaged model\'s name (default: {DEFAULT_MODEL}, the '
                        'model loaded when none is given)')
    parser.add_argument('--out-dir', help='where model.pth and README.md are written '
                        '(default: headpose/model_zoo/NAME)')
    parser.add_argument('--max-mb', type=float, default=MAX_MB,
                        help=f'refuse a model file larger than this (MiB, default {MAX_MB})')
    parser.add_argument('--no-eval', action='store_true',
                        help='do not run the test set (the card then has no accuracy)')
    parser.add_argument('--speed-iters', type=int, default=50,
                        help='timed faces per runtime for the card (0: no speed)')
    parser.add_argument('--no-onnx', action='store_true',
                        help='do not time an ONNX Runtime export')
    parser.add_argument('--training-data', help='the card\'s training data and its terms '
                        '(default: said from the config)')
    parser.add_argument('--notes', help='a markdown file added to the card (what the model '
                        'is not good at, how it was trained, ...)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides of the config for the evaluation, e.g. '
                        'test_dataloader.dataset.data_root=data/AFLW2000/ (not stored)')
    return parser.parse_args(argv)


# --- measuring --------------------------------------------------------------------------

def evaluate(cfg, package_model, source_model) -> dict:
    """Runs the config's test set through both models; returns the packaged model's
    metrics (the config's evaluator, as ``tools/test.py``), its error by |yaw| range and
    the largest angle change from the source checkpoint."""
    from mmengine.evaluator import Evaluator
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    from headpose.evaluation.metrics.mae_metric import paired_rotations
    from headpose.structures import geodesic_distance, matrix_to_euler

    init_default_scope(cfg.get('default_scope', 'headpose'))
    loader = Runner.build_dataloader(cfg.test_dataloader)
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.dataset_meta = loader.dataset.metainfo
    gt_poses, pred_poses, angle_diff, geo_diff = [], [], [], []
    with torch.no_grad():
        for data in loader:
            packaged = package_model.test_step(data)
            source = source_model.test_step(data)
            evaluator.process(data_samples=packaged, data_batch=data)
            for p, s in zip(packaged, source):
                full_range = bool(p.get('full_range', False))
                gt, pred = paired_rotations(p.to_dict(), 'package_model')
                ref = s.pred_instances.rotations.cpu().numpy().reshape(-1, 3, 3)
                gt_poses += [matrix_to_euler(g, full_range) for g in gt]
                pred_poses += [matrix_to_euler(r, full_range) for r in pred]
                both = np.stack([matrix_to_euler(r, full_range) for r in pred]) - \
                    np.stack([matrix_to_euler(r, full_range) for r in ref])
                angle_diff.append(np.abs((both + 180) % 360 - 180).max(axis=1))
                geo_diff.append(geodesic_distance(pred, ref))
    metrics = evaluator.evaluate(len(loader.dataset))
    gt, pred = np.stack(gt_poses), np.stack(pred_poses)
    return dict(metrics={k: float(v) for k, v in metrics.items()},
                bands=yaw_bands(gt, pred, metrics),
                fp16_max_angle_diff=float(np.concatenate(angle_diff).max()),
                fp16_mean_geodesic_diff=float(np.concatenate(geo_diff).mean()),
                num_faces=int(len(gt)))


def yaw_bands(gt: np.ndarray, pred: np.ndarray, metrics: dict) -> list:
    """The mean absolute error of yaw, pitch and roll per |yaw| range of the truth.

    The images kept are those the evaluator kept (its ``num_images`` of the largest
    |angle| filter is not repeated here: rows count every face of the test set).
    """
    err = np.abs(pred - gt)
    err[:, 0] = np.minimum(err[:, 0], 360 - err[:, 0])
    rows = []
    for lo, hi in zip(YAW_BANDS[:-1], YAW_BANDS[1:]):
        sel = (np.abs(gt[:, 0]) >= lo) & (np.abs(gt[:, 0]) < hi)
        if sel.any():
            e = err[sel].mean(0)
            rows.append(dict(band=f'[{lo}, {hi})', faces=int(sel.sum()), yaw=float(e[0]),
                             pitch=float(e[1]), roll=float(e[2]), mae=float(e.mean())))
    return rows


def pick(metrics: dict, name: str) -> Optional[float]:
    """A metric by its name without the evaluator's prefix (``'pose/MAE'`` -> ``'MAE'``)."""
    for key, value in metrics.items():
        if key.split('/')[-1] == name:
            return value
    return None


# --- the card ---------------------------------------------------------------------------

def training_data_of(cfg) -> str:
    """A line on the training data from the config (the card's default)."""
    dataset = cfg.get('train_dataloader', {}).get('dataset', {})
    while isinstance(dataset.get('dataset'), dict):  # wrappers (pairs, repeats)
        dataset = dataset['dataset']
    kind = dataset.get('type', 'unknown')
    if kind == 'SynthHeadsDataset':
        ranges = ', '.join(f'{a} {dataset[f"{a}_range"]}' for a in ('yaw', 'pitch', 'roll')
                           if f'{a}_range' in dataset)
        return (f'SynthHeads ({dataset.get("num_samples", "?")} rendered heads of '
                f'{dataset.get("num_identities", "?")} made-up people; poses drawn over '
                f'{ranges or "the config ranges"}): procedural renders made by headpose '
                'itself, no photograph and no third-party data, under headpose\'s own '
                'licence (Apache-2.0).')
    return (f'{kind} (see the config). Check that data set\'s terms before shipping a '
            'model trained on it.')


def fmt(value: Optional[float], digits: int = 2) -> str:
    return '-' if value is None else f'{value:.{digits}f}'


def write_card(path: str, name: str, cfg_path: str, measured: dict, training_data: str,
               notes: Optional[str], command: str) -> None:
    """Writes the model card (markdown) from the measurements."""
    m = measured
    lines = [f'# {name}', '',
             f'A packaged head pose model of headpose: `{m["model_type"]}` built from '
             f'`{cfg_path}` (the resolved config is embedded in `{MODEL_FILE}`), trained '
             f'weights `{m["source_checkpoint"]}`. Packaged on {m["date"]} by headpose '
             f'{m["headpose_version"]}.', '',
             '| file | size | contents |', '| --- | --- | --- |',
             f'| `{MODEL_FILE}` | {m["size_mb"]:.1f} MiB | weights in float16 '
             f'({m["parameters"] / 1e6:.2f} M numbers), the config |', '',
             '## Use', '',
             ('With no model given, the demos, the `headpose` command, the web page and '
              '`HeadPoseInferencer()` load this model (the default, '
              '`headpose.model_zoo.DEFAULT_MODEL`) and find faces with BlazeFace:'
              if name == DEFAULT_MODEL else
              f'`HeadPoseInferencer({name!r})`, the demos\' and the `headpose` command\'s '
              f'`--model {name}` load it (from `$HEADPOSE_MODEL_ZOO` or '
              '`headpose/model_zoo/`) and find faces with BlazeFace:'), '',
             '```bash',
             ('headpose photos/      # or: python demo/image_demo.py photos/'
              if name == DEFAULT_MODEL else
              f'headpose photos/ --model {name}      # or: python demo/image_demo.py '
              f'photos/ --model {name}'),
             f'python tools/test.py {cfg_path} {m["model_file"]}{m["test_options"]}   '
             '# its test figure below',
             '```', '',
             '## Training data and terms', '', training_data, '',
             '## Accuracy', '']
    ev = m.get('evaluation')
    if ev:
        metrics = ev['metrics']
        lines += [f'On the test set ({m["test_set"]}), {ev["num_faces"]} faces, '
                  'degrees; the packaged (float16) weights, as `tools/test.py` measures them: '
                  f'**MAE {fmt(pick(metrics, "MAE"))}** (evaluator: '
                  + ', '.join(f'{k} {fmt(pick(metrics, k))}' for k in ('yaw', 'pitch', 'roll')
                              if pick(metrics, k) is not None)
                  + (f', {pick(metrics, "num_images"):.0f} images' if
                     pick(metrics, 'num_images') is not None else '') + ').', '',
                  '| \\|yaw\\| range | faces | yaw | pitch | roll | mean |',
                  '| --- | --- | --- | --- | --- | --- |']
        lines += [f'| {b["band"]} | {b["faces"]} | {b["yaw"]:.2f} | {b["pitch"]:.2f} | '
                  f'{b["roll"]:.2f} | {b["mae"]:.2f} |' for b in ev['bands']]
        lines += ['', f'Half precision: no angle of any test face moved by more than '
                  f'{ev["fp16_max_angle_diff"]:.3f} degrees from the float32 checkpoint '
                  f'(mean rotation change {ev["fp16_mean_geodesic_diff"]:.4f} degrees).']
    else:
        lines.append('Not measured (packaged with --no-eval).')
    lines += ['', '## Speed', '']
    sp = m.get('speed')
    if sp:
        lines += [f'Per face (crop, pipeline, forward pass, decoding; no detector), batch 1, '
                  f'{sp["threads"]} thread, median of {sp["iters"]}, on {sp["cpu"]}: '
                  f'PyTorch {fmt(sp["pytorch_ms"])} ms'
                  + (f', ONNX Runtime {fmt(sp["onnxruntime_ms"])} ms (a float32 export, '
                     f'{sp["onnx_mb"]:.1f} MiB)' if sp.get('onnxruntime_ms') is not None
                     else '') + '. `tools/analysis_tools/benchmark_packaged.py` measures '
                  'it again, with the detector and the video demo.']
    else:
        lines.append('Not measured (packaged with --speed-iters 0).')
    lines += ['', '## What it is not good at', '',
              '- It estimates the pose of a face that a detector has found: a head the '
              'detector misses (seen from behind, far in profile, small) gets no pose.']
    if ev and len(ev['bands']) > 1:
        worst = max(ev['bands'], key=lambda b: b['mae'])
        best = min(ev['bands'], key=lambda b: b['mae'])
        lines.append(f'- Its error depends on the turn of the head: a mean of '
                     f'{worst["mae"]:.2f} degrees for |yaw| in {worst["band"]} '
                     f'({worst["faces"]} faces) against {best["mae"]:.2f} for |yaw| in '
                     f'{best["band"]} (table above).')
    lines.append('- It was tested on the test set above only; other people, cameras and '
                 'lighting may read worse.')
    if notes:
        lines += ['', notes.rstrip()]
    lines += ['', '## Rebuild', '', 'From the trained checkpoint, in the repository:', '',
              '```bash', command, '```', '']
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines))


def rebuild_command(args: argparse.Namespace, cfg_path: str) -> str:
    """The command line that packages the checkpoint again (the card's last section)."""
    argv = ['python', 'tools/deployment/package_model.py', cfg_path,
            osp.basename(args.checkpoint), '--name', args.name]
    if args.training_data:
        argv += ['--training-data', args.training_data]
    if args.notes:
        # a notes file kept in the repository (e.g. beside the card) is named by its path
        rel = osp.relpath(osp.abspath(args.notes), REPO_ROOT)
        argv += ['--notes', osp.basename(args.notes) if rel.startswith('..') else rel]
    if args.cfg_options:
        argv += ['--cfg-options'] + [f'{k}={v}' for k, v in args.cfg_options.items()]
    return shlex.join(argv)


# --- the command --------------------------------------------------------------------------

def package(args: argparse.Namespace) -> dict:
    """Writes the packaged model and its card; returns the measurements."""
    from headpose.apis import init_model
    from headpose.utils import register_all_modules
    from headpose.utils.launch import load_config
    from headpose.version import __version__
    register_all_modules()
    cfg = load_config(args.config)
    out_dir = args.out_dir or osp.join(MODEL_ZOO_DIR, args.name)
    model_file = osp.join(out_dir, MODEL_FILE)
    source = init_model(cfg, args.checkpoint)
    from headpose.engine.checkpoint import load_checkpoint_weights
    with open(args.checkpoint, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    meta = load_checkpoint_weights(args.checkpoint).get('meta') or {}
    os.makedirs(out_dir, exist_ok=True)
    size = write_packaged_model(source.state_dict(), cfg, model_file, args.name,
                                dataset_meta=source.dataset_meta,
                                source_checkpoint=osp.basename(args.checkpoint),
                                source_sha256=sha,
                                source_epoch=meta.get('epoch'), source_iter=meta.get('iter'))
    size_mb = size / 2**20
    if size_mb > args.max_mb:
        os.remove(model_file)
        raise ValueError(f'{model_file} would be {size_mb:.1f} MiB, above --max-mb '
                         f'{args.max_mb:g}: package a smaller model')
    # what users load: the config from the file, the float16 weights cast back
    packaged_cfg, _, _ = load_packaged_model(model_file)
    packaged = init_model(packaged_cfg, model_file)
    in_zoo = osp.realpath(osp.dirname(out_dir)) == osp.realpath(MODEL_ZOO_DIR)
    shown = f'headpose/model_zoo/{osp.basename(out_dir)}/{MODEL_FILE}' if in_zoo \
        else model_file
    measured = dict(name=args.name, model_type=type(packaged).__name__, model_file=shown,
                    config=args.config, source_checkpoint=osp.basename(args.checkpoint),
                    source_sha256=sha, size_mb=size_mb,
                    parameters=sum(v.numel() for v in packaged.state_dict().values()
                                   if v.is_floating_point()),
                    headpose_version=__version__,
                    date=datetime.now(timezone.utc).strftime('%Y-%m-%d'))
    test_cfg = cfg.copy()
    measured['test_options'] = ''
    if args.cfg_options:
        test_cfg.merge_from_dict(args.cfg_options)
        measured['test_options'] = ' --cfg-options ' + ' '.join(
            shlex.quote(f'{k}={v}') for k, v in args.cfg_options.items())
    dataset = test_cfg.test_dataloader.dataset
    measured['test_set'] = f'{dataset.get("type")}' + (
        f' at `{dataset["data_root"]}`' if dataset.get('data_root') else '')
    if not args.no_eval:
        measured['evaluation'] = evaluate(test_cfg, packaged, source)
    if args.speed_iters > 0:
        from headpose.model_zoo.speed import measure_per_face
        measured['speed'] = measure_per_face(packaged, iters=args.speed_iters,
                                             onnx=not args.no_onnx)
    notes = None
    if args.notes:
        with open(args.notes, encoding='utf-8') as f:
            notes = f.read()
    cfg_path = osp.relpath(args.config) if not osp.isabs(args.config) else args.config
    write_card(osp.join(out_dir, CARD_FILE), args.name, cfg_path, measured,
               args.training_data or training_data_of(cfg), notes,
               rebuild_command(args, cfg_path))
    with open(osp.join(out_dir, 'metrics.json'), 'w', encoding='utf-8') as f:
        json.dump(measured, f, indent=1)
    return measured


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        for path, what in ((args.config, 'config'), (args.checkpoint, 'checkpoint')):
            if not osp.isfile(path):
                raise FileNotFoundError(f'{what} file not found: {path}')
        measured = package(args)
    except Exception as err:
        print(f'error: {type(err).__name__}: {err}', file=sys.stderr)
        return 2
    out_dir = args.out_dir or osp.join(MODEL_ZOO_DIR, args.name)
    ev = measured.get('evaluation')
    print(f'{args.name}: {osp.join(out_dir, MODEL_FILE)} ({measured["size_mb"]:.1f} MiB), '
          f'card {osp.join(out_dir, CARD_FILE)}'
          + (f'; test MAE {pick(ev["metrics"], "MAE"):.3f}, float16 changes angles by at '
             f'most {ev["fp16_max_angle_diff"]:.3f} degrees' if ev else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
