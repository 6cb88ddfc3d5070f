"""Test a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--out FILE] [--show-dir DIR]``.

CHECKPOINT may be an ``.onnx`` file from ``tools/deployment/pytorch2onnx.py``: the test
set then runs through ``OnnxHeadPoseModel`` (ONNX Runtime) and the config's evaluator.
It may also be a packaged model (``tools/deployment/package_model.py``): its
``model.pth``, or its name (``python tools/test.py CONFIG rankpose_r18_real``).
"""

import argparse
import os.path as osp

from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from headpose.utils import register_all_modules
from headpose.utils.launch import (
    finish_distributed,
    parse_tool_args,
    setup_run,
    tool_config,
)
from headpose.utils.malloc import apply_malloc_cfg


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a head pose model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint file, an exported .onnx '
                        'model, or a packaged model\'s model.pth or name; none for a model '
                        'without trainable weights (e.g. FaceMeshPoseEstimator)')
    parser.add_argument('--work-dir', help='the dir to save the evaluation log')
    parser.add_argument('--out', help='write one record per image (file, ground truth and '
                        'predicted yaw/pitch/roll) to this .json or .csv file')
    parser.add_argument('--show', action='store_true', help='show the drawn results')
    parser.add_argument('--show-dir', help='write drawn results into this folder (relative '
                        'paths are inside the work dir\'s run folder)')
    parser.add_argument('--wait-time', type=float, default=2, help='seconds per shown image')
    parser.add_argument('--fuse-conv-bn', action='store_true', help='fold BatchNorm into the '
                        'convolutions before testing (faster; the same results to rounding)')
    parser.add_argument('--channels-last', action='store_true', help='run in NHWC memory '
                        'format (faster on CPUs; the same results to rounding)')
    parser.add_argument('--compile', action='store_true', help='torch.compile the backbone '
                        'and neck (CompileHook), after --fuse-conv-bn / --channels-last')
    return parse_tool_args(parser, argv, 'test_dataloader.batch_size=8')


def needs_checkpoint(cfg) -> bool:
    """Whether the config's model has trained weights to load (a ``trainable = False``
    model class, such as the FaceMesh route, has none)."""
    from mmengine.registry import init_default_scope

    from headpose.models.estimators import has_trained_weights
    init_default_scope(cfg.get('default_scope', 'headpose'))
    return has_trained_weights(cfg.model)


def packaged_checkpoint(name: str) -> str:
    """The ``model.pth`` of a packaged model's name (a CHECKPOINT that is no file).

    Raises:
        SystemExit: no such file and no packaged model of that name (the message says
            how to build one).
    """
    from headpose.model_zoo import PackagedModelNotFoundError, packaged_model_path
    if name.endswith(('.pth', '.onnx')) or osp.sep in name:
        raise SystemExit(f'checkpoint not found: {name}')
    try:
        return packaged_model_path(name)
    except PackagedModelNotFoundError as err:
        raise SystemExit(f'checkpoint not found: {name} is no file, and {err}') from err


def build_cfg(args: argparse.Namespace):
    if args.checkpoint is not None and not osp.isfile(args.checkpoint):
        args.checkpoint = packaged_checkpoint(args.checkpoint)
    cfg = tool_config(args)
    if args.checkpoint is None and needs_checkpoint(cfg):
        raise SystemExit(f'error: {args.config}: its model ({cfg.model.get("type")}) has '
                         'trained weights; give the checkpoint to test')
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        cfg.default_hooks.visualization = dict(
            type='HeadPoseVisualizationHook', draw=True, show=args.show,
            wait_time=args.wait_time, test_out_dir=args.show_dir)
    if args.fuse_conv_bn or args.channels_last:
        hooks = list(cfg.get('custom_hooks') or [])
        hooks.append(dict(type='InferenceSpeedHook', fuse_conv_bn=args.fuse_conv_bn,
                          channels_last=args.channels_last))
        cfg.custom_hooks = hooks
    if args.compile:
        cfg.custom_hooks = [*(cfg.get('custom_hooks') or []), dict(type='CompileHook')]
    if args.out:
        if not args.out.endswith(('.json', '.csv')):
            raise SystemExit(f'--out must end with .json or .csv, got {args.out}')
        evaluator = cfg.test_evaluator
        evaluators = list(evaluator) if isinstance(evaluator, (list, tuple)) else [evaluator]
        evaluators.append(dict(type='DumpHeadPoseResults', out_file=args.out))
        cfg.test_evaluator = evaluators
    return cfg


def test_onnx(cfg, args: argparse.Namespace) -> dict:
    """Evaluates an exported model on the config's test set with ONNX Runtime: the test
    loop without a Runner (an ``OnnxHeadPoseModel`` is no ``nn.Module``)."""
    unsupported = [flag for flag, on in (
        ('--show/--show-dir', args.show or args.show_dir), ('--compile', args.compile),
        ('--fuse-conv-bn/--channels-last', args.fuse_conv_bn or args.channels_last),
        ('--launcher', args.launcher != 'none')) if on]
    if unsupported:
        raise SystemExit(f'error: {", ".join(unsupported)} cannot be used with the ONNX '
                         f'model {args.checkpoint}')
    from mmengine.evaluator import Evaluator
    from mmengine.registry import init_default_scope

    from headpose.apis import OnnxHeadPoseModel
    init_default_scope(cfg.get('default_scope', 'headpose'))
    model = OnnxHeadPoseModel(args.checkpoint, cfg)
    loader = Runner.build_dataloader(cfg.test_dataloader)
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.dataset_meta = loader.dataset.metainfo
    for data in loader:
        evaluator.process(data_samples=model.test_step(data), data_batch=data)
    metrics = evaluator.evaluate(len(loader.dataset))
    print(f'{args.checkpoint} (ONNX Runtime): ' +
          ', '.join(f'{k}: {v:.4f}' if isinstance(v, float) else f'{k}: {v}'
                    for k, v in metrics.items()))
    return metrics


def main(argv=None) -> dict:
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = build_cfg(args)
    if args.checkpoint and args.checkpoint.endswith('.onnx'):
        apply_malloc_cfg(cfg.get('env_cfg', {}).get('malloc_cfg'))
        return test_onnx(cfg, args)
    setup_run(cfg, args.launcher)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    metrics = runner.test()
    finish_distributed()
    return metrics


if __name__ == '__main__':
    main()
