"""Draw the activation maps of backbone stages over images, and their per-channel variance.

``python tools/analysis_tools/vis_activations.py CONFIG CHECKPOINT IMG [IMG ...]
--stages 1 2 3 4 --out fig.png [--layers MODULE ...] [--cfg-options ...]``

As in RankPose's Figures 2 and 3: each image goes through the config's test pipeline
(a head crop, or the whole image if it has no box) and the model; forward hooks keep
the output of each chosen stage. The figure has one row per image (the model's input,
then per stage the mean over channels of the activation, upsampled to the input and
laid over it) and a last row with, per stage, the histogram of the per-channel
variance of the activations (the variance of each channel over all positions of all
images). A table of the same statistics is printed.

Stages are numbered from 1 as in the papers (ResNet ``layer1``..``layer4``, Darknet
``stage1``..``stage5``); ``--layers`` names any other module by its dotted path
(``backbone.layer3.1``, ``neck``, ...).
"""

import argparse
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict, List, Sequence

import numpy as np
import torch
from mmengine.config import DictAction
from terminaltables import AsciiTable
from tqdm import tqdm

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from headpose.utils.launch import load_config  # noqa: E402


def stage_modules(model: torch.nn.Module, stages: Sequence[int],
                  layers: Sequence[str] = ()) -> 'OrderedDict[str, torch.nn.Module]':
    """Resolves stage numbers and dotted module names into ``{name: module}``.

    Raises:
        SystemExit: naming the stage or layer that the model does not have, with the
            backbone's children it does have.
    """
    named = dict(model.named_modules())
    out: 'OrderedDict[str, torch.nn.Module]' = OrderedDict()
    for stage in stages:
        for name in (f'backbone.layer{stage}', f'backbone.stage{stage}'):
            if name in named:
                out[name] = named[name]
                break
        else:
            children = [n for n, _ in model.backbone.named_children()] \
                if hasattr(model, 'backbone') else []
            raise SystemExit(f'stage {stage}: the model has neither backbone.layer{stage} nor '
                             f'backbone.stage{stage}; the backbone\'s modules are '
                             f'{", ".join(children)} (name one with --layers)')
    for name in layers:
        if name not in named:
            raise SystemExit(f'--layers: the model has no module {name!r}')
        out[name] = named[name]
    if not out:
        raise SystemExit('choose at least one stage (--stages) or module (--layers)')
    return out


def collect(model: torch.nn.Module, modules: Dict[str, torch.nn.Module], pipeline,
            images: Sequence[str]) -> tuple:
    """Runs every image through the model with forward hooks on ``modules``.

    Returns:
        ``(inputs, activations)``: the (H, W, 3) RGB uint8 model inputs, and per module
        the list of (C, h, w) float activations, one per image.
    """
    acts: Dict[str, List[np.ndarray]] = {name: [] for name in modules}
    handles = []
    for name, module in modules.items():
        def hook(_module, _inputs, output, name=name):
            out = output[-1] if isinstance(output, (list, tuple)) else output
            acts[name].append(out.detach()[0].float().cpu().numpy())
        handles.append(module.register_forward_hook(hook))
    inputs = []
    try:
        with torch.no_grad():
            for path in tqdm(images, desc='activations', unit='image'):
                data = pipeline(dict(img_path=path))
                batch = model.data_preprocessor(
                    dict(inputs=[data['inputs']], data_samples=[data['data_samples']]))
                model(batch['inputs'], mode='tensor')
                inputs.append(data['inputs'].numpy().transpose(1, 2, 0)[..., ::-1].copy())
    finally:
        for handle in handles:
            handle.remove()
    return inputs, acts


def channel_variance(maps: List[np.ndarray]) -> np.ndarray:
    """(C,) variance of each channel over all positions of all images."""
    flat = np.concatenate([m.reshape(m.shape[0], -1) for m in maps], axis=1)
    return flat.var(axis=1)


def draw(inputs: List[np.ndarray], acts: Dict[str, List[np.ndarray]],
         variances: Dict[str, np.ndarray], out_file: str) -> None:
    """Writes the figure: activation maps per image and stage, then variance histograms."""
    import cv2
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    names = list(acts)
    rows, cols = len(inputs) + 1, len(names) + 1
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.6 * rows), squeeze=False)
    for i, img in enumerate(inputs):
        axes[i, 0].imshow(img)
        axes[i, 0].set_title('input' if i == 0 else '')
        grey = img.mean(axis=2)
        for j, name in enumerate(names):
            amap = acts[name][i].mean(axis=0)
            lo, hi = float(amap.min()), float(amap.max())
            amap = (amap - lo) / (hi - lo) if hi > lo else np.zeros_like(amap)
            amap = cv2.resize(amap.astype(np.float32), (img.shape[1], img.shape[0]),
                              interpolation=cv2.INTER_LINEAR)
            ax = axes[i, j + 1]
            ax.imshow(grey, cmap='gray')
            ax.imshow(amap, cmap='jet', alpha=0.5, vmin=0, vmax=1)
            if i == 0:
                shape = acts[name][0].shape
                ax.set_title(f'{short(name)} ({shape[0]}x{shape[1]}x{shape[2]})', fontsize=9)
    for i in range(len(inputs)):
        for ax in axes[i]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[-1, 0].axis('off')
    axes[-1, 0].text(0.0, 0.5, 'per-channel\nvariance of\nthe activations',
                     fontsize=10, va='center')
    for j, name in enumerate(names):
        ax = axes[-1, j + 1]
        ax.hist(variances[name], bins=30, color='tab:blue')
        ax.set_xlabel('variance', fontsize=8)
        ax.set_ylabel('channels', fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_title(short(name), fontsize=9)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.savefig(out_file, dpi=100)
    plt.close(fig)


def short(name: str) -> str:
    """``backbone.layer3`` -> ``layer3``."""
    return name[len('backbone.'):] if name.startswith('backbone.') else name


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('images', nargs='+', help='image files (one row of maps each)')
    parser.add_argument('--stages', type=int, nargs='*', default=[1, 2, 3, 4],
                        help='backbone stages, numbered from 1')
    parser.add_argument('--layers', nargs='*', default=[],
                        help='further modules by dotted name, e.g. backbone.layer3.1')
    parser.add_argument('--out', default='activations.png', help='the image file to write')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """Draws the figure; returns ``{module: {'shape': (C, h, w), 'variance': (C,)}}``."""
    args = parse_args(argv)
    from mmcv.transforms import Compose
    from mmengine.registry import init_default_scope

    from headpose.registry import MODELS
    from headpose.utils import register_all_modules
    from headpose.utils.checkpoint_io import load_model_weights

    for path in [args.config, args.checkpoint] + list(args.images):
        if not osp.isfile(path):
            raise SystemExit(f'file not found: {path}')
    cfg = load_config(args.config, args.cfg_options)
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'headpose'))
    model = MODELS.build(cfg.model)
    load_model_weights(model, args.checkpoint)  # strict: another model's weights are refused
    model.eval()
    modules = stage_modules(model, args.stages, args.layers)
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    inputs, acts = collect(model, modules, pipeline, args.images)
    variances = {name: channel_variance(maps) for name, maps in acts.items()}
    draw(inputs, acts, variances, args.out)
    rows = [['module', 'activation (C x h x w)', 'mean channel variance',
             'median', 'channels with variance < 1e-6']]
    result = {}
    for name, var in variances.items():
        shape = acts[name][0].shape
        rows.append([name, 'x'.join(map(str, shape)), f'{var.mean():.4g}',
                     f'{np.median(var):.4g}', f'{int((var < 1e-6).sum())} / {len(var)}'])
        result[name] = dict(shape=shape, variance=var)
    print(AsciiTable(rows, f'activations over {len(inputs)} image(s)').table)
    print(f'figure written to {args.out}')
    return result


if __name__ == '__main__':
    main()
