"""Write SynthHeads samples to disk: images plus a COCO-style head-pose annotation file.

``python tools/dataset_converters/make_synthheads.py OUT_DIR [--num-samples 1000]
[--num-identities 100] [--seed 0] [--img-size 128] [--overwrite]``

The samples are those that ``SynthHeadsDataset`` renders on the fly with the same
arguments; ``TopDownCocoDataset`` reads them back (``OUT_DIR/annotations.json``,
images in ``OUT_DIR/images/``).
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


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir')
    parser.add_argument('--num-samples', type=int, default=1000)
    parser.add_argument('--num-identities', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--img-size', type=int, default=128)
    parser.add_argument('--yaw-range', type=float, nargs=2, default=(-90, 90))
    parser.add_argument('--pitch-range', type=float, nargs=2, default=(-60, 60))
    parser.add_argument('--roll-range', type=float, nargs=2, default=(-45, 45))
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing annotation file')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    ann_path = osp.join(args.out_dir, 'annotations.json')
    if osp.exists(ann_path) and not args.overwrite:
        raise SystemExit(f'{ann_path} exists; pass --overwrite to replace it')
    full_range = max(abs(args.yaw_range[0]), abs(args.yaw_range[1])) > 90
    dataset = SynthHeadsDataset(
        num_samples=args.num_samples, num_identities=args.num_identities, seed=args.seed,
        img_size=args.img_size, yaw_range=args.yaw_range, pitch_range=args.pitch_range,
        roll_range=args.roll_range, full_range=full_range, pipeline=[])
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
