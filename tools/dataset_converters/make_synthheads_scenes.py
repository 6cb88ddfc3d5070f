"""Write SynthHeads multi-head scenes to disk: images plus a COCO-style head-pose JSON.

``python tools/dataset_converters/make_synthheads_scenes.py OUT_DIR [--split NAME]
[--num-samples 1000] [--seed 0] [--img-size W H] [--num-heads MIN MAX]
[--head-scale MIN MAX] [--overwrite]``

The scenes are those that ``SynthHeadsScenesDataset`` renders on the fly with the same
arguments (scene ``i`` of a seed is the same image, bit for bit). They are written as
``OUT_DIR/images/SPLIT/000000.png ...`` and ``OUT_DIR/annotations/SPLIT.json`` in
DirectMHP's layout (``euler_angles`` [pitch, yaw, roll] in degrees, full-range yaw;
``bbox`` [x, y, w, h]), which ``CocoHeadPoseDataset`` reads back with
``data_root=OUT_DIR, ann_file='annotations/SPLIT.json',
data_prefix=dict(img='images/SPLIT/')``.
"""

import argparse
import json
import os
import os.path as osp
import sys

import cv2
from tqdm import tqdm

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from headpose.datasets.synthheads.scenes import SynthHeadsScenesDataset, scene_to_coco  # noqa


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir')
    parser.add_argument('--split', default='train', help='name of the split (file names)')
    parser.add_argument('--num-samples', type=int, default=1000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--img-size', type=int, nargs=2, default=(192, 144),
                        metavar=('W', 'H'))
    parser.add_argument('--num-heads', type=int, nargs=2, default=(1, 4))
    parser.add_argument('--head-scale', type=float, nargs=2, default=(0.2, 0.5))
    parser.add_argument('--yaw-range', type=float, nargs=2, default=(-180, 180))
    parser.add_argument('--pitch-range', type=float, nargs=2, default=(-40, 40))
    parser.add_argument('--roll-range', type=float, nargs=2, default=(-30, 30))
    parser.add_argument('--max-overlap', type=float, default=0.3)
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing annotation file')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    ann_path = osp.join(args.out_dir, 'annotations', f'{args.split}.json')
    if osp.exists(ann_path) and not args.overwrite:
        raise SystemExit(f'{ann_path} exists; pass --overwrite to replace it')
    dataset = SynthHeadsScenesDataset(
        num_samples=args.num_samples, seed=args.seed, img_size=args.img_size,
        num_heads=args.num_heads, head_scale=args.head_scale, yaw_range=args.yaw_range,
        pitch_range=args.pitch_range, roll_range=args.roll_range,
        max_overlap=args.max_overlap, pipeline=[], lazy_init=True)
    img_dir = osp.join(args.out_dir, 'images', args.split)
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(osp.dirname(ann_path), exist_ok=True)
    images, annotations = [], []
    for idx in tqdm(range(args.num_samples), desc='rendering SynthHeads scenes'):
        scene = dataset.render(idx)
        name = f'{idx:06d}.png'
        if not cv2.imwrite(osp.join(img_dir, name), scene['img']):
            raise SystemExit(f'cannot write {osp.join(img_dir, name)}')
        image, anns = scene_to_coco(scene, image_id=idx + 1,
                                    first_ann_id=len(annotations) + 1, file_name=name)
        images.append(image)
        annotations.extend(anns)
    coco = dict(info=dict(description='SynthHeads scenes', seed=args.seed,
                          num_heads=list(args.num_heads), head_scale=list(args.head_scale)),
                images=images, annotations=annotations,
                categories=[dict(id=1, name='person')])
    tmp = ann_path + '.part'
    with open(tmp, 'w') as f:
        json.dump(coco, f)
    os.replace(tmp, ann_path)
    print(f'wrote {len(images)} images with {len(annotations)} heads and {ann_path}')
    return ann_path


if __name__ == '__main__':
    main()
