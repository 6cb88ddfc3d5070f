"""Estimate head poses in an image or a folder of images; print them, write drawings and JSON.

The ``headpose`` console command (installed with the package) and
``demo/image_demo.py``: a command line over :class:`headpose.apis.HeadPoseInferencer`.
With no CONFIG, the model packaged with headpose estimates the poses of the faces that
BlazeFace finds; CONFIG CHECKPOINT (a config file, a config name or a model name of
``model-index.yml``, and its weights) replace it.

Examples::

    headpose photos/                          # the packaged model, faces found by BlazeFace
    python demo/image_demo.py demo/photos     # the same from the repository
    headpose photos/ --model my_zoo/my_model  # another packaged model (name, folder, file)
    # a checkpoint of your own; the whole image is the head unless --detector
    python demo/image_demo.py face.jpg configs/rankpose/r18_arccos_synthheads.py \\
        work_dirs/quickstart/epoch_8.pth
    python demo/image_demo.py photos/ CONFIG CKPT --detector haar --out-dir outputs/photos
    # heads found by a trained Multitask-Net, poses by RankPose
    python demo/image_demo.py photos/ CONFIG CKPT --detector MT_CONFIG.py:MT_CKPT
    # a Multitask-Net finds the heads itself; an exported .onnx model works as CKPT too
    python demo/image_demo.py photos/ configs/multitask_net/CONFIG.py MT_CKPT

Prints one line a face (file, box, score, yaw, pitch, roll) and writes
``OUT_DIR/vis/<image>.jpg`` (boxes, head axes x red / y green / nose blue, angles; a thin
cube with ``--cube``) and ``OUT_DIR/results.json``::

    {"config": ..., "checkpoint": ..., "detector": ...,
     "results": [{"file": "a.jpg", "height": h, "width": w,
                  "heads": [{"bbox": [x1, y1, x2, y2], "score": s, "yaw": ..., "pitch": ...,
                             "roll": ..., "rotation": [[...], [...], [...]]}]}],
     "failed": [{"file": "b.jpg", "error": "..."}], "no_heads": ["c.jpg"]}

Angles are degrees in the convention of docs/conventions.md. An image that cannot be
read is reported at the end and the others are still processed; the exit status is 1
if any image failed or (unless ``--allow-empty``) had no head, 2 for a bad setup
(missing config, mismatched checkpoint, unknown detector, no packaged model).
"""

import argparse
import os.path as osp
import sys
from typing import List, Optional

from headpose.apis.inferencer import (
    IMAGE_EXTENSIONS,
    demo_inferencer,
    demo_score_thr,
    list_images,
)


def parse_args(argv: Optional[List[str]] = None, prog: Optional[str] = None
               ) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=prog, description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='Detectors: "blazeface" (MediaPipe\'s face detector), "haar" (OpenCV frontal '
               '+ profile cascades), "auto" (BlazeFace if installed, else Haar), "file:PATH" '
               '(boxes from a JSON or CSV file, see FileBoxDetector), "CONFIG.py:CKPT" (a '
               'trained Multitask-Net). Default: "auto" for a packaged model; for a CONFIG '
               'CHECKPOINT the whole image is the head.')
    parser.add_argument('input', help='an image file or a folder of images')
    parser.add_argument('config', nargs='?',
                        help='model config file, config name or model name (default: the '
                        'packaged model); a packaged model\'s name or file needs no CHECKPOINT')
    parser.add_argument('checkpoint', nargs='?',
                        help='model checkpoint (.pth) or exported model (.onnx)')
    parser.add_argument('--model', help='a packaged model instead of CONFIG CHECKPOINT: its '
                        'name, folder or model.pth (default: the one shipped with headpose)')
    parser.add_argument('--detector', help='head detector for a top-down model: blazeface, '
                        'haar, auto, file:PATH or CONFIG.py:CKPT')
    parser.add_argument('--out-dir', default='outputs/image_demo',
                        help='where vis/ and results.json are written')
    parser.add_argument('--device', default='cpu', help='cpu, cuda, cuda:0, ...')
    parser.add_argument('--score-thr', type=float,
                        help="smallest detection score kept (default: a detector's own, "
                        'BlazeFace 0.5, Haar 0, Multitask-Net 0.3; a Multitask-Net on '
                        'whole images 0.3)')
    parser.add_argument('--batch-size', type=int, default=32,
                        help='images (and head crops) per forward pass')
    parser.add_argument('--recursive', action='store_true', help='also read sub-folders')
    parser.add_argument('--cube', action='store_true', help='also draw a thin cube per head')
    parser.add_argument('--no-cube', action='store_true',
                        help='no cube (the default; kept for old command lines)')
    parser.add_argument('--no-vis', action='store_true', help='write results.json only')
    parser.add_argument('--quiet', action='store_true', help='do not print a line a face')
    parser.add_argument('--allow-empty', action='store_true',
                        help='an image with no head found is not a failure')
    return parser.parse_args(argv)


def face_lines(results: list) -> List[str]:
    """One line a face: file, box, score and angles (an image with no face: a line too)."""
    lines = []
    for record in results:
        name = record['file'] if record.get('file') is not None else record.get('index')
        if not record['heads']:
            lines.append(f'{name}: no face found')
        for k, head in enumerate(record['heads']):
            box = ', '.join(f'{v:.0f}' for v in head['bbox'])
            lines.append(f'{name} face {k}: yaw {head["yaw"]:7.2f}  pitch '
                         f'{head["pitch"]:7.2f}  roll {head["roll"]:7.2f}  (box {box}, '
                         f'score {head["score"]:.2f})')
    return lines


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> int:
    """Runs the command; returns the exit status (0 all fine, 1 some image failed, 2 setup)."""
    args = parse_args(argv, prog)
    try:  # setup errors: clear message, exit 2
        files = list_images(args.input, args.recursive)
        if not files:
            raise FileNotFoundError(f'no image files ({", ".join(IMAGE_EXTENSIONS)}) in '
                                    f'{args.input}')
        inferencer = demo_inferencer(args.config, args.checkpoint, model=args.model,
                                     detector=args.detector, device=args.device)
    except Exception as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    score_thr = demo_score_thr(args.score_thr, inferencer)
    result = inferencer(args.input, batch_size=args.batch_size, out_dir=args.out_dir,
                        no_save_vis=args.no_vis, score_thr=score_thr,
                        draw_cube=args.cube and not args.no_cube, recursive=args.recursive,
                        skip_failed=True, show_progress=len(files) > 1)
    results, failed = result['predictions'], result['failed']
    if not args.quiet:
        print('\n'.join(face_lines(results)))
    empty = [r['file'] for r in results if not r['heads']]
    out_json, vis_dir = osp.join(args.out_dir, 'results.json'), osp.join(args.out_dir, 'vis')
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


def console() -> None:
    """The ``headpose`` console command (``setup.py`` ``entry_points``)."""
    sys.exit(main(prog='headpose'))


__all__ = ['console', 'face_lines', 'main', 'parse_args']
