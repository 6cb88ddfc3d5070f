"""Write SynthHeads samples to disk: images plus a COCO-style head-pose annotation file.

``python tools/dataset_converters/make_synthheads.py OUT_DIR [--config CONFIG [--split
train|val]] [--num-samples 1000] [--num-identities 100] [--seed 0] [--img-size 128]
[--overwrite]``

The samples are those that ``SynthHeadsDataset`` renders on the fly with the same
arguments; ``TopDownCocoDataset`` reads them back (``OUT_DIR/annotations.json``,
images in ``OUT_DIR/images/``). With ``--config``, the arguments are those of the
config's SynthHeads training (or validation) set, its rendering, faces and pose
distribution included, and the other options given replace them; without it, the
defaults below.
"""

import argparse
import json
import os
import os.path as osp

import cv2
import numpy as np
from tqdm import tqdm

from headpose.datasets import SynthHeadsDataset
from headpose.structures import matrix_to_euler

DEFAULTS = dict(num_samples=1000, num_identities=100, seed=0, img_size=128,
                yaw_range=(-90, 90), pitch_range=(-60, 60), roll_range=(-45, 45))
# Arguments of a config's SynthHeadsDataset that describe how it loads, not what it renders.
NOT_RENDERING = ('type', 'pipeline', 'cache', 'test_mode', 'lazy_init', 'serialize_data',
                 'max_refetch', 'indices', 'data_root', 'data_prefix', 'ann_file', 'metainfo',
                 'filter_cfg')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir')
    parser.add_argument('--config', help='render what this config trains on (its '
                        'SynthHeadsDataset arguments); the options below replace them')
    parser.add_argument('--split', choices=('train', 'val'), default='train',
                        help="with --config: the config's training or validation set")
    for name, value in DEFAULTS.items():
        flag = '--' + name.replace('_', '-')
        if isinstance(value, tuple):
            parser.add_argument(flag, type=float, nargs=2, help=f'default {value}')
        else:
            parser.add_argument(flag, type=int, help=f'default {value}')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing annotation file')
    return parser.parse_args(argv)


def config_dataset_args(config: str, split: str) -> dict:
    """The arguments of the SynthHeadsDataset in ``config``'s ``split`` data loader,
    found through dataset wrappers (``dataset=...``), without those of loading."""
    from mmengine.config import Config
    key = f'{split}_dataloader'
    node = (Config.fromfile(config).get(key) or {}).get('dataset')
    while isinstance(node, dict) and node.get('type') != 'SynthHeadsDataset':
        node = node.get('dataset')
    if not isinstance(node, dict):
        raise SystemExit(f'{config}: {key} has no SynthHeadsDataset (looked through its '
                         "'dataset' wrappers)")
    return {k: v for k, v in node.to_dict().items() if k not in NOT_RENDERING}


def main(argv=None) -> str:
    args = parse_args(argv)
    ann_path = osp.join(args.out_dir, 'annotations.json')
    if osp.exists(ann_path) and not args.overwrite:
        raise SystemExit(f'{ann_path} exists; pass --overwrite to replace it')
    kwargs = dict(DEFAULTS)
    if args.config:
        kwargs.update(config_dataset_args(args.config, args.split))
    kwargs.update({k: getattr(args, k) for k in DEFAULTS if getattr(args, k) is not None})
    full_range = kwargs.pop('full_range', None)
    if full_range is None:
        full_range = max(abs(float(v)) for v in kwargs['yaw_range']) > 90
    dataset = SynthHeadsDataset(full_range=full_range, pipeline=[], **kwargs)
    os.makedirs(osp.join(args.out_dir, 'images'), exist_ok=True)
    images, annotations = [], []
    for idx in tqdm(range(len(dataset)), desc='rendering SynthHeads'):
        info = dataset.get_data_info(idx)
        name = f'{idx:06d}.png'
        cv2.imwrite(osp.join(args.out_dir, 'images', name), info['img'])
        yaw, pitch, roll = matrix_to_euler(np.asarray(info['gt_rotations'][0]),
                                           full_range).tolist()
        x1, y1, x2, y2 = np.asarray(info['gt_bboxes'][0], dtype=float).tolist()
        h, w = info['img'].shape[:2]
        images.append(dict(file_name=name, height=h, width=w, id=idx))
        annotations.append(dict(
            id=idx, image_id=idx, category_id=1, iscrowd=0, bbox=[x1, y1, x2 - x1, y2 - y1],
            area=(x2 - x1) * (y2 - y1), euler_angles=[pitch, yaw, roll],
            identity=int(info['identity'])))
    coco = dict(images=images, annotations=annotations,
                categories=[dict(id=1, name='person')])
    tmp = ann_path + '.part'
    with open(tmp, 'w') as f:
        json.dump(coco, f)
    os.replace(tmp, ann_path)
    print(f'wrote {len(images)} images and {ann_path}')
    return ann_path


if __name__ == '__main__':
    main()
