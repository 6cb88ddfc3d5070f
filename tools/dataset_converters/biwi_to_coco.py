"""Convert the raw BIWI Kinect release (frames + ``*_pose.txt``) to a COCO-style JSON.

``python tools/dataset_converters/biwi_to_coco.py data/BIWI/hpdb --out OUT.json
[--split train|test | --sequences 1 2 ...] [--head-size-mm 170] [--boxes-file FILE]
[--overwrite]``

Labels and boxes are those of ``BIWIDataset``: the angles of ``biwi_rotation_to_angles``
(written as ``euler_angles`` [pitch, yaw, roll] in degrees) and the head centre projected
with BIWI's RGB intrinsics (or the boxes of ``--boxes-file``); ``identity`` is the
sequence. A sequence without pose files, a frame without its RGB image or a bad pose file
is skipped and counted in the summary.
"""

import argparse
import os
import os.path as osp
import sys

from tqdm import tqdm

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from coco_writer import CocoHeadPoseWriter, image_size  # noqa: E402

from headpose.datasets import biwi  # noqa: E402
from headpose.datasets.ann_cache import scan_folder  # noqa: E402
from headpose.datasets.biwi_split import BIWI_SPLITS  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root', help='the hpdb folder of the release (01 ... 24)')
    parser.add_argument('--out', required=True, help='the .json file to write')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--split', choices=sorted(BIWI_SPLITS),
                       help='a side of the published 70/30 split')
    group.add_argument('--sequences', type=int, nargs='+', help='sequence numbers')
    parser.add_argument('--head-size-mm', type=float, default=biwi.BIWI_HEAD_SIZE_MM,
                        help='side of the projected head box in mm')
    parser.add_argument('--boxes-file', help='head boxes: "<seq>/frame_XXXXX_rgb.png x1 y1 '
                        'x2 y2" per line, instead of projecting the head centre')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing --out')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    writer = CocoHeadPoseWriter(args.out, args.overwrite)
    root = args.data_root
    if not osp.isdir(root):
        raise SystemExit(f'data root not found: {root} (expected the hpdb folder of BIWI)')
    found = sorted(d for d in os.listdir(root) if d.isdigit() and osp.isdir(osp.join(root, d)))
    wanted = BIWI_SPLITS[args.split] if args.split else args.sequences
    seqs = found if wanted is None else [f'{int(s):02d}' for s in wanted]
    if not found:
        raise SystemExit(f'no sequence folder (01 ... 24) in {root}; expected <data_root>/NN/'
                         'frame_XXXXX_rgb.png + frame_XXXXX_pose.txt')
    boxes = biwi.read_boxes_file(args.boxes_file) if args.boxes_file else None
    for seq in seqs:
        folder = osp.join(root, seq)
        if not osp.isdir(folder):
            writer.skip('sequence folder not found', folder)
            continue
        listing = scan_folder(folder, '_pose.txt', '_rgb.png')
        if not listing.stems:
            writer.skip('sequence without *_pose.txt files', folder)
            continue
        for stem in tqdm(listing.stems, desc=f'converting BIWI {seq}', unit='file',
                         mininterval=1.0):
            rel = f'{seq}/{stem}_rgb.png'
            if stem not in listing.images:
                writer.skip('pose file without its *_rgb.png frame', rel)
                continue
            try:
                ann = biwi.parse_biwi_pose(osp.join(folder, stem + '_pose.txt'))
                width, height = image_size(osp.join(root, rel))
            except (OSError, ValueError) as err:
                writer.skip(f'unreadable file ({type(err).__name__})', f'{rel}: {err}')
                continue
            if boxes is not None:
                if osp.normpath(rel) not in boxes:
                    writer.skip('no box in --boxes-file', rel)
                    continue
                box = boxes[osp.normpath(rel)]
            else:
                box = biwi.project_head_boxes(ann['centre'][None], args.head_size_mm)[0]
            writer.add(rel, width, height, box, ann['angles'], identity=seq)
    return writer.write(dict(description='BIWI Kinect head pose', source=osp.abspath(root),
                             sequences=seqs, head_size_mm=args.head_size_mm,
                             boxes_file=args.boxes_file))


if __name__ == '__main__':
    main()
