"""Count a model's FLOPs and parameters for one input of a given size.

``python tools/analysis_tools/get_flops.py CONFIG [--shape H W] [--cfg-options ...]
[--per-module]``

The model is built from the config (randomly initialised: no checkpoint is needed)
and traced with one image through ``model(inputs, mode='tensor')`` by mmengine's
``get_model_complexity_info``. FLOPs are counted as multiply-accumulates (one per
multiply-add of a convolution or linear layer, fvcore's convention), so ResNet-50 at
224 x 224 gives about 4.1 G. Without ``--shape`` the input is the size of the test
pipeline's ``CropHead``/``LetterBox``/``Resize`` (224 x 224 if it has none); the data
preprocessor's normalisation is not counted.
"""

import argparse
import os.path as osp
import sys
from typing import Optional, Sequence, Tuple

from mmengine.config import Config, DictAction
from terminaltables import AsciiTable

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from headpose.utils.launch import load_config  # noqa: E402


def input_shape_of(cfg: Config, shape: Optional[Sequence[int]] = None) -> Tuple[int, int]:
    """The (H, W) to count with: ``shape`` if given, else the test pipeline's output size."""
    if shape:
        if len(shape) not in (1, 2) or min(shape) < 1:
            raise SystemExit(f'--shape takes H W or one side, got {list(shape)}')
        return (shape[0], shape[-1])
    loader = cfg.get('test_dataloader') or {}
    pipeline = (loader.get('dataset') or {}).get('pipeline') or []
    for step in pipeline:
        size = step.get('input_size') or step.get('scale')
        if step.get('type') in ('CropHead', 'LetterBox', 'Resize') and size is not None:
            w, h = (size, size) if isinstance(size, int) else size
            return (int(h), int(w))
    return (224, 224)


def get_flops(cfg: Config, shape: Tuple[int, int], per_module: bool = False) -> dict:
    """Builds the config's model and counts it on a (1, 3, H, W) input.

    Returns:
        mmengine's complexity dict: ``flops``, ``params``, ``activations``, their
        ``*_str`` forms, and ``out_table`` (per module, if ``per_module``).
    """
    from mmengine.analysis import get_model_complexity_info
    from mmengine.registry import init_default_scope

    from headpose.registry import MODELS
    from headpose.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'headpose'))
    model = MODELS.build(cfg.model)
    model.eval()
    return get_model_complexity_info(model, input_shape=(3, *shape), show_table=per_module,
                                     show_arch=False)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('--shape', type=int, nargs='+',
                        help='input height and width (or one side for a square)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. model.backbone.depth=18')
    parser.add_argument('--per-module', action='store_true',
                        help='also print the FLOPs and parameters of every module')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    try:
        cfg = load_config(args.config, args.cfg_options)
    except FileNotFoundError as err:
        raise SystemExit(str(err)) from None
    shape = input_shape_of(cfg, args.shape)
    result = get_flops(cfg, shape, args.per_module)
    if args.per_module:
        print(result['out_table'])
    rows = [['config', 'input shape', 'FLOPs (multiply-adds)', 'parameters'],
            [osp.basename(args.config), f'3 x {shape[0]} x {shape[1]}', result['flops_str'],
             result['params_str']]]
    print(AsciiTable(rows, 'model complexity').table)
    print(f'flops={result["flops"]} params={result["params"]}')
    return dict(result, shape=shape)


if __name__ == '__main__':
    main()
