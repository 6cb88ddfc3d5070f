"""Convert AFLW2000-3D (release folder of ``.jpg`` + ``.mat``) to a COCO-style head-pose JSON.

``python tools/dataset_converters/aflw2000_to_coco.py data/AFLW2000 --out OUT.json
[--filter-abs-angle 99] [--bbox-source pt3d_68|pt2d] [--bbox-scale 1.2] [--overwrite]``

Labels and boxes are those of ``AFLW2000Dataset``: (yaw, pitch, roll) = Pose_Para[1, 0, 2]
in degrees (written as ``euler_angles`` [pitch, yaw, roll]); the head box is the box of
the ``pt3d_68`` landmarks (or of the visible ``pt2d`` points) scaled by ``--bbox-scale``.
``--filter-abs-angle 99`` applies the papers' protocol (1,969 of 2,000 images remain); the
dropped images are listed in the summary with the other skipped files.
"""

import argparse
import os.path as osp
import sys

import numpy as np
from tqdm import tqdm

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from coco_writer import CocoHeadPoseWriter, image_size  # noqa: E402

from headpose.datasets import aflw2000  # noqa: E402
from headpose.datasets.ann_cache import scan_folder  # noqa: E402
from headpose.datasets.mat_utils import scale_bboxes  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root', help='the AFLW2000 folder of the release')
    parser.add_argument('--out', required=True, help='the .json file to write')
    parser.add_argument('--filter-abs-angle', type=float, default=None,
                        help='drop images with any |angle| above this (papers: 99)')
    parser.add_argument('--bbox-source', default='pt3d_68', choices=aflw2000.AFLW2000_BBOX_SOURCES)
    parser.add_argument('--bbox-scale', type=float, default=1.2,
                        help='factor on the landmark box (as AFLW2000Dataset.bbox_scale)')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing --out')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    writer = CocoHeadPoseWriter(args.out, args.overwrite)
    if not osp.isdir(args.data_root):
        raise SystemExit(f'data root not found: {args.data_root} (expected the AFLW2000 '
                         'folder with image00002.jpg + image00002.mat ...)')
    listing = scan_folder(args.data_root, '.mat', '.jpg')
    if not listing.stems:
        raise SystemExit(f'no .mat annotation in {args.data_root}; expected the AFLW2000-3D '
                         'release layout <data_root>/image00002.jpg + image00002.mat ...')
    for stem in tqdm(listing.stems, desc='converting AFLW2000', unit='file', mininterval=1.0):
        rel = f'{stem}.jpg'
        if stem not in listing.images:
            writer.skip('no image beside the .mat', rel)
            continue
        try:
            ann = aflw2000.parse_aflw2000_mat(osp.join(args.data_root, stem + '.mat'))
            width, height = image_size(osp.join(args.data_root, rel))
        except (OSError, ValueError) as err:
            writer.skip(f'unreadable file ({type(err).__name__})', f'{rel}: {err}')
            continue
        if args.filter_abs_angle is not None and \
                np.abs(ann['angles']).max() > args.filter_abs_angle:
            writer.skip(f'|angle| > {args.filter_abs_angle:g} (protocol filter)', rel)
            continue
        writer.add(rel, width, height,
                   scale_bboxes(ann[f'bbox_{args.bbox_source}'], args.bbox_scale),
                   ann['angles'])
    return writer.write(dict(description='AFLW2000-3D head pose', source=osp.abspath(
        args.data_root), filter_abs_angle=args.filter_abs_angle, bbox_source=args.bbox_source,
        bbox_scale=args.bbox_scale))


if __name__ == '__main__':
    main()
