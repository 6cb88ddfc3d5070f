"""Convert 300W-LP (release folders of ``.jpg`` + ``.mat``) to a COCO-style head-pose JSON.

``python tools/dataset_converters/w300lp_to_coco.py data/300W_LP --out OUT.json
[--subsets AFW ...] [--bbox-scale 1.2] [--overwrite]``

Labels and boxes are those of ``W300LPDataset``: (yaw, pitch, roll) = Pose_Para[1, 0, 2]
in degrees (written as ``euler_angles`` [pitch, yaw, roll]); the head box is the box of
the 68 ``pt2d`` landmarks scaled by ``--bbox-scale``; ``identity`` names the person (for
ranking pairs). File names are relative to the data root. A file without an image or
with a bad annotation is skipped and counted in the summary.
"""

import argparse
import os.path as osp
import sys

from tqdm import tqdm

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from coco_writer import CocoHeadPoseWriter, image_size  # noqa: E402

from headpose.datasets import w300lp  # noqa: E402
from headpose.datasets.ann_cache import scan_folder  # noqa: E402
from headpose.datasets.mat_utils import scale_bboxes  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root', help='the 300W_LP folder of the release')
    parser.add_argument('--out', required=True, help='the .json file to write')
    parser.add_argument('--subsets', nargs='+', default=list(w300lp.W300LP_SUBSETS),
                        choices=w300lp.W300LP_SUBSETS, help='folders to convert (default: all 8)')
    parser.add_argument('--bbox-scale', type=float, default=1.2,
                        help='factor on the landmark box (as W300LPDataset.bbox_scale)')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing --out')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    writer = CocoHeadPoseWriter(args.out, args.overwrite)
    absent = [s for s in args.subsets if not osp.isdir(osp.join(args.data_root, s))]
    if absent:
        raise SystemExit(f'{args.data_root} has no subset folder {", ".join(absent)}; expected '
                         'the 300W_LP release layout <data_root>/<SUBSET>/<name>.jpg + '
                         f'<name>.mat with SUBSET in {", ".join(w300lp.W300LP_SUBSETS)} '
                         '(see docs/dataset_prepare.md)')
    for subset in args.subsets:
        folder = osp.join(args.data_root, subset)
        listing = scan_folder(folder, '.mat', '.jpg')
        if not listing.stems:
            writer.skip('subset folder without any .mat file', folder)
        for stem in tqdm(listing.stems, desc=f'converting 300W-LP {subset}', unit='file',
                         mininterval=1.0):
            rel = f'{subset}/{stem}.jpg'
            if stem not in listing.images:
                writer.skip('no image beside the .mat', rel)
                continue
            try:
                ann = w300lp.parse_w300lp_mat(osp.join(folder, stem + '.mat'))
                width, height = image_size(osp.join(folder, stem + '.jpg'))
            except (OSError, ValueError) as err:
                writer.skip(f'unreadable file ({type(err).__name__})', f'{rel}: {err}')
                continue
            writer.add(rel, width, height, scale_bboxes(ann['bbox'], args.bbox_scale),
                       ann['angles'], identity=w300lp.w300lp_identity(subset, stem))
    return writer.write(dict(description='300W-LP head pose', source=osp.abspath(
        args.data_root), subsets=args.subsets, bbox_scale=args.bbox_scale))


if __name__ == '__main__':
    main()
