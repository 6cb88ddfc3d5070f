"""Estimate head poses in an image or a folder of images; write drawings and a JSON of results.

Examples::

    # one face crop (the whole image is the head), quick-start model
    python demo/image_demo.py face.jpg configs/rankpose/r18_arccos_synthheads.py \\
        work_dirs/quickstart/epoch_8.pth
    # a folder of photos, heads found by OpenCV's Haar cascades
    python demo/image_demo.py photos/ CONFIG CKPT --detector haar --out-dir outputs/photos
    # heads found by a trained Multitask-Net, poses by RankPose
    python demo/image_demo.py photos/ CONFIG CKPT --detector MT_CONFIG.py:MT_CKPT
    # a Multitask-Net finds the heads itself; an exported .onnx model works as CKPT too
    python demo/image_demo.py photos/ configs/multitask_net/CONFIG.py MT_CKPT

Writes ``OUT_DIR/vis/<image>.jpg`` (boxes, head axes x red / y green / nose blue, angles;
a thin cube with ``--cube``) and ``OUT_DIR/results.json``::

    {"config": ..., "checkpoint": ..., "detector": ...,
     "results": [{"file": "a.jpg", "height": h, "width": w,
                  "heads": [{"bbox": [x1, y1, x2, y2], "score": s, "yaw": ..., "pitch": ...,
                             "roll": ..., "rotation": [[...], [...], [...]]}]}],
     "failed": [{"file": "b.jpg", "error": "..."}], "no_heads": ["c.jpg"]}

Angles are degrees in the convention of docs/conventions.md. An image that cannot be
read is reported at the end and the others are still processed; the exit status is 1
if any image failed or (unless ``--allow-empty``) had no head, 2 for a bad setup
(missing config, mismatched checkpoint, unknown detector).
"""

import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional

import cv2
from tqdm import tqdm

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff', '.pgm', '.ppm')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='Detectors: "haar" (OpenCV frontal + profile cascades), "file:PATH" (boxes '
               'from a JSON or CSV file, see FileBoxDetector), "CONFIG.py:CKPT" (a trained '
               'Multitask-Net). Without one, a top-down model takes the whole image as '
               'the head.')
    parser.add_argument('input', help='an image file or a folder of images')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='model checkpoint (.pth) or exported model (.onnx)')
    parser.add_argument('--detector', help='head detector for a top-down model: blazeface, '
                        'haar, auto (blazeface if installed, else haar), file:PATH or '
                        'CONFIG.py:CKPT')
    parser.add_argument('--out-dir', default='outputs/image_demo',
                        help='where vis/ and results.json are written')
    parser.add_argument('--device', default='cpu', help='cpu, cuda, cuda:0, ...')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='smallest detection score kept (Multitask-Net and detectors)')
    parser.add_argument('--batch-size', type=int, default=32, help='head crops per forward pass')
    parser.add_argument('--recursive', action='store_true', help='also read sub-folders')
    parser.add_argument('--cube', action='store_true', help='also draw a thin cube per head')
    parser.add_argument('--no-cube', action='store_true',
                        help='no cube (the default; kept for old command lines)')
    parser.add_argument('--no-vis', action='store_true', help='write results.json only')
    parser.add_argument('--allow-empty', action='store_true',
                        help='an image with no head found is not a failure')
    return parser.parse_args(argv)


def list_images(path: str, recursive: bool = False) -> List[str]:
    """The image files of ``path`` (itself if a file), sorted."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'input not found: {path}')
    found = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        found += [osp.join(root, f) for f in sorted(files)
                  if f.lower().endswith(IMAGE_EXTENSIONS)]
        if not recursive:
            break
    return found


def build(args: argparse.Namespace):
    """The model and detector of the arguments (errors are setup errors)."""
    from headpose.apis import build_detector, init_model, is_topdown
    model = init_model(args.config, args.checkpoint, device=args.device)
    detector = None
    if args.detector:
        if not is_topdown(model):
            raise ValueError(f'{type(model).__name__} finds the heads itself: drop --detector')
        detector = build_detector(args.detector, device=args.device)
        if hasattr(detector, 'score_thr'):
            detector.score_thr = args.score_thr
    return model, detector


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the demo; returns the exit status (0 all fine, 1 some image failed, 2 setup)."""
    args = parse_args(argv)
    try:  # checked before the heavy imports, so that a typo fails at once
        files = list_images(args.input, args.recursive)
        for path, what in ((args.config, 'config'), (args.checkpoint, 'checkpoint')):
            if not osp.isfile(path):
                raise FileNotFoundError(f'{what} file not found: {path}')
    except FileNotFoundError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    if not files:
        print(f'error: no image files ({", ".join(IMAGE_EXTENSIONS)}) in {args.input}',
              file=sys.stderr)
        return 2
    from headpose.apis import inference_model, is_topdown, result_to_dicts
    from headpose.visualization import HeadPoseVisualizer
    try:
        model, detector = build(args)
    except Exception as err:  # setup errors: clear message, exit 2
        print(f'error: {err}', file=sys.stderr)
        return 2
    vis_dir = osp.join(args.out_dir, 'vis')
    os.makedirs(vis_dir if not args.no_vis else args.out_dir, exist_ok=True)
    visualizer = HeadPoseVisualizer(name=f'image_demo_{id(args)}',
                                    draw_cube=args.cube and not args.no_cube)
    base = args.input if osp.isdir(args.input) else osp.dirname(args.input)
    kwargs = dict(detector=detector) if is_topdown(model) else dict(score_thr=args.score_thr)
    results, failed, empty = [], [], []
    for path in tqdm(files, desc='images', unit='img', disable=len(files) == 1):
        rel = osp.relpath(path, base) if base else osp.basename(path)
        try:
            sample = inference_model(model, path, **kwargs)
            heads = result_to_dicts(sample)
            h, w = sample.ori_shape
            results.append(dict(file=rel, height=int(h), width=int(w), heads=heads))
            if not heads:
                empty.append(rel)
            if not args.no_vis:
                img = cv2.imread(path, cv2.IMREAD_COLOR)
                drawn = visualizer.draw_sample(img, sample)
                out = osp.join(vis_dir, osp.splitext(rel)[0] + '.jpg')
                os.makedirs(osp.dirname(out), exist_ok=True)
                if not cv2.imwrite(out, drawn):
                    raise IOError(f'cannot write {out}')
        except Exception as err:  # report, keep going
            failed.append(dict(file=rel, error=f'{type(err).__name__}: {err}'))
    out_json = osp.join(args.out_dir, 'results.json')
    with open(out_json, 'w', encoding='utf-8') as f:
        json.dump(dict(config=args.config, checkpoint=args.checkpoint, detector=args.detector,
                       results=results, failed=failed, no_heads=empty), f, indent=1)
    n_heads = sum(len(r['heads']) for r in results)
    print(f'{len(results)} of {len(files)} images done, {n_heads} heads; results: {out_json}'
          + ('' if args.no_vis else f', drawings: {vis_dir}'))
    if empty:
        what = 'note' if args.allow_empty else 'error'
        print(f'{what}: no head found in {len(empty)} image(s): {", ".join(empty)}',
              file=sys.stderr)
    for fail in failed:
        print(f'error: {fail["file"]}: {fail["error"]}', file=sys.stderr)
    if failed or (empty and not args.allow_empty):
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
