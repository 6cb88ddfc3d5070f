"""Export a top-down head-pose model to ONNX and check it against PyTorch.

``python tools/deployment/pytorch2onnx.py CONFIG CKPT [--out model.onnx] [--batch-size 1]
[--dynamic] [--opset 17] [--check-images IMG ...] [--no-check]``

The graph takes ``input`` ``(N, 3, H, W)`` uint8 BGR head crops (what the test
pipeline's ``CropHead`` + ``PackHeadPoseInputs`` make) and contains the normalisation,
the network and the decoding: outputs ``poses`` (N, 3) yaw, pitch, roll in degrees and
``rotations`` (N, 3, 3). A codec whose decoding ONNX cannot express (an SVD
projection: ONNX has no SVD operator) is exported undecoded (output ``raw``), and
``OnnxHeadPoseModel`` decodes after the graph with the same codec. The config is
stored in the file's metadata.

The check runs PyTorch and ONNX Runtime on random crops and on real images (``--check-
images``, default: the AFLW2000 samples in ../shared/data/real_samples when present,
and the first items of the config's test set when it can be built) and prints the
largest difference of the angles and the largest geodesic angle between the rotation
matrices, in degrees. Exit status 1 if it is 0.01 degrees or more.
"""

import argparse
import glob
import os
import os.path as osp
import sys
from typing import List, Optional

import numpy as np
import torch
from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REAL_SAMPLES = osp.join(REPO, '..', 'shared', 'data', 'real_samples', 'aflw2000')
TOLERANCE = 0.01  # degrees


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', default='model.onnx', help='the .onnx file to write')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='batch size of the graph (of the example input when --dynamic)')
    parser.add_argument('--dynamic', action='store_true', help='dynamic batch dimension')
    parser.add_argument('--input-size', type=int, nargs=2, metavar=('W', 'H'),
                        help='crop size (default: the CropHead of the test pipeline)')
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset version')
    parser.add_argument('--check-images', nargs='*',
                        help='real images to compare on (default: the AFLW2000 samples)')
    parser.add_argument('--num-dataset-items', type=int, default=8,
                        help='items of the config\'s test set to compare on (0: none)')
    parser.add_argument('--no-check', action='store_true', help='skip the comparison')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides, e.g. model.backbone.depth=50')
    return parser.parse_args(argv)


def rotation_angle_between(r1: np.ndarray, r2: np.ndarray) -> np.ndarray:
    """The angle (degrees) between rotations from the chord ``||R1 - R2||_F = 2 sqrt(2)
    sin(angle / 2)``, accurate for tiny angles, where ``arccos((trace - 1) / 2)`` of
    float32 matrices is noise of about 0.03 degrees."""
    chord = np.linalg.norm(np.asarray(r1, np.float64) - np.asarray(r2, np.float64),
                           axis=(-2, -1))
    return np.degrees(2 * np.arcsin(np.clip(chord / (2 * np.sqrt(2)), 0, 1)))


def compare(torch_out: tuple, onnx_out: tuple) -> tuple:
    """``(max |angle difference|, max angle between the rotation matrices)`` in degrees."""
    from headpose.structures import wrapped_angle_error
    (p1, r1), (p2, r2) = torch_out, onnx_out
    p1, p2 = np.asarray(p1, np.float64), np.asarray(p2, np.float64)
    r1, r2 = np.asarray(r1, np.float64), np.asarray(r2, np.float64)
    if len(p1) == 0:
        return 0.0, 0.0
    return (float(wrapped_angle_error(p1, p2).max()),
            float(rotation_angle_between(r1, r2).max()))


def torch_decode(model, crops: np.ndarray) -> tuple:
    """The PyTorch model's (poses, rotations) on uint8 BGR crops, through ``test_step``."""
    from headpose.structures import HeadPoseDataSample
    data = dict(inputs=[torch.from_numpy(c) for c in crops],
                data_samples=[HeadPoseDataSample() for _ in crops])
    with torch.no_grad():
        out = model.test_step(data)
    return (np.concatenate([s.pred_instances.poses.numpy() for s in out]),
            np.concatenate([s.pred_instances.rotations.numpy() for s in out]))


def dataset_crops(cfg, n: int) -> Optional[np.ndarray]:
    """The first ``n`` packed crops of the config's test set, or ``None`` if unavailable."""
    if n <= 0:
        return None
    from headpose.registry import DATASETS
    try:
        ds = DATASETS.build(cfg.test_dataloader.dataset)
        return np.stack([ds[i]['inputs'].numpy() for i in range(min(n, len(ds)))])
    except Exception as err:  # e.g. a dataset whose files are not on this machine
        print(f'  (test set not used: {type(err).__name__}: {str(err)[:120]})')
        return None


def image_crops(cfg, paths: List[str]) -> Optional[np.ndarray]:
    """Whole-image crops of real images made by the test pipeline."""
    if not paths:
        return None
    from headpose.apis import build_test_pipeline, load_image
    pipeline = build_test_pipeline(cfg)
    crops = []
    for p in paths:
        img, _ = load_image(p)
        h, w = img.shape[:2]
        crops.append(pipeline(dict(img=img, img_path=p,
                                   bbox=np.array([0, 0, w, h], np.float32)))['inputs'].numpy())
    return np.stack(crops)


def main(argv: Optional[List[str]] = None) -> int:
    """Exports and checks; returns the exit status (0 ok, 1 check failed, 2 setup error)."""
    args = parse_args(argv)
    from headpose.apis import OnnxHeadPoseModel, export_onnx, init_model
    try:
        model = init_model(args.config, args.checkpoint, cfg_options=args.cfg_options)
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        decoded = export_onnx(model, args.out, tuple(args.input_size) if args.input_size else None,
                              batch_size=args.batch_size, dynamic=args.dynamic, opset=args.opset)
    except Exception as err:
        print(f'error: {type(err).__name__}: {err}', file=sys.stderr)
        return 2
    print(f'exported {args.out} ({osp.getsize(args.out) / 1e6:.1f} MB, '
          f'{"decoding in the graph" if decoded else "raw outputs, decoded after the graph"}, '
          f'batch {"dynamic" if args.dynamic else args.batch_size})')
    if args.no_check:
        return 0
    onnx_model = OnnxHeadPoseModel(args.out)
    from headpose.apis.onnx_model import crop_size_of
    w, h = tuple(args.input_size) if args.input_size else crop_size_of(model.cfg)
    rng = np.random.default_rng(0)
    n_random = max(args.batch_size, 4 if args.dynamic else args.batch_size)
    sets = {'random': rng.integers(0, 256, (n_random, 3, h, w), dtype=np.uint8)}
    paths = args.check_images
    if paths is None:
        paths = sorted(glob.glob(osp.join(REAL_SAMPLES, '*.jpg')))
    if not args.input_size:  # real crops come from the pipeline, at the config's size
        real = image_crops(model.cfg, paths)
        if real is not None:
            sets['real images'] = real
        items = dataset_crops(model.cfg, args.num_dataset_items)
        if items is not None:
            sets['test set'] = items
    worst = 0.0
    for name, crops in sets.items():
        d_angle, d_rot = compare(torch_decode(model, crops), onnx_model.run(crops))
        worst = max(worst, d_angle, d_rot)
        print(f'  {name:11s} ({len(crops):3d} crops): max angle difference {d_angle:.2e} deg, '
              f'max rotation difference {d_rot:.2e} deg')
    verdict = 'OK' if worst < TOLERANCE else 'FAILED'
    print(f'max difference PyTorch vs ONNX Runtime: {worst:.2e} degrees '
          f'(tolerance {TOLERANCE}): {verdict}')
    return 0 if worst < TOLERANCE else 1


if __name__ == '__main__':
    sys.exit(main())
