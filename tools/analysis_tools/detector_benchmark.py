"""Head detectors compared: recall on real AFLW2000 faces, heads on 1080p frames, speed.

``python tools/analysis_tools/detector_benchmark.py [--detectors haar blazeface]
[--out-dir DIR] [--fit]``

For each detector, in one run:

* **recall** on ``--dev-dir`` (the AFLW2000 development set, ``imageNNNNN.jpg`` +
  ``.mat``): a face is found when a detected box has IoU >= ``--iou`` with the AFLW2000
  protocol's head box, the box of the 68 ``pt3d_68`` landmarks scaled by 1.2 (what the
  pose models are trained and tested on), and the mean best IoU;
* the **boxes on the CMU Panoptic frames** of ``--frames-dir``, drawn into
  ``OUT_DIR/<detector>_<frame>.jpg`` (count the true heads among them by eye: the frames
  have no labels);
* **ms per image**: each dev image and each frame timed once, after one warm-up run;
  the mean over the frames is the ms per 1080p frame.

``--fit`` also prints, for each BlazeFace model run alone on the whole dev images with
no box change, the face-to-head box fit of ``BLAZEFACE_MODELS`` (medians over the faces
whose best box has IoU >= 0.2: sqrt(area ratio) and the centres' vertical offset over the
face box height). The load average (``os.getloadavg``) is printed at start and end: on a
shared machine the times are only comparable within one run.
"""

import argparse
import glob
import os
import os.path as osp
import time
from typing import Dict, List

import cv2
import numpy as np
from terminaltables import AsciiTable

from headpose.apis import build_detector
from headpose.apis.detectors import BlazeFaceDetector, box_iou_np
from headpose.datasets.aflw2000 import parse_aflw2000_mat
from headpose.datasets.mat_utils import scale_bboxes

SHARED = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', '..', 'shared', 'data')


def head_boxes(jpgs: List[str]) -> np.ndarray:
    """``(N, 4)`` AFLW2000 protocol head boxes: the ``pt3d_68`` box scaled by 1.2."""
    boxes = [parse_aflw2000_mat(osp.splitext(p)[0] + '.mat')['bbox_pt3d_68'] for p in jpgs]
    return scale_bboxes(np.asarray(boxes, np.float32), 1.2)


def timed(detector, img: np.ndarray):
    """The detector's boxes and its wall time in ms."""
    start = time.perf_counter()
    boxes = detector(img)
    return boxes, (time.perf_counter() - start) * 1000


def best_ious(detector, imgs: List[np.ndarray], targets: np.ndarray):
    """Best IoU of each image's boxes with its target box, and the ms of each image."""
    ious, ms = [], []
    for img, target in zip(imgs, targets):
        boxes, t = timed(detector, img)
        ms.append(t)
        ious.append(box_iou_np(boxes[:, :4], target[None]).max() if len(boxes) else 0.0)
    return np.asarray(ious), np.asarray(ms)


def fit_box(model: str, imgs: List[np.ndarray], targets: np.ndarray) -> Dict[str, float]:
    """The face-to-head box fit of one BlazeFace model (see the module docstring)."""
    det = BlazeFaceDetector(model=model, tile_size=0, box_scale=1.0, shift_y=0.0)
    scales, shifts = [], []
    for img, target in zip(imgs, targets):
        boxes = det(img)
        if not len(boxes):
            continue
        iou = box_iou_np(boxes[:, :4], target[None])[:, 0]
        if iou.max() < 0.2:
            continue
        x1, y1, x2, y2 = boxes[iou.argmax(), :4]
        tw, th = target[2] - target[0], target[3] - target[1]
        scales.append(np.sqrt(tw * th / ((x2 - x1) * (y2 - y1))))
        shifts.append(((target[1] + target[3]) - (y1 + y2)) / 2 / (y2 - y1))
    return dict(faces=len(scales), box_scale=float(np.median(scales)),
                shift_y=float(np.median(shifts)))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--detectors', nargs='+', default=['haar', 'blazeface'],
                        help='detector specs, as for demo/image_demo.py --detector')
    parser.add_argument('--dev-dir', default=osp.join(SHARED, 'aflw2000_dev'))
    parser.add_argument('--frames-dir', default=osp.join(SHARED, 'real_samples', 'cmu_panoptic'))
    parser.add_argument('--out-dir', default='work_dirs/detector_benchmark',
                        help='where the frames with their boxes are drawn')
    parser.add_argument('--iou', type=float, default=0.5, help='IoU of a found face')
    parser.add_argument('--fit', action='store_true', help='also fit the BlazeFace box change')
    args = parser.parse_args(argv)

    jpgs = sorted(glob.glob(osp.join(args.dev_dir, '*.jpg')))
    frames = sorted(glob.glob(osp.join(args.frames_dir, '*.jpg')))
    if not jpgs:
        raise FileNotFoundError(f'no imageNNNNN.jpg in --dev-dir {args.dev_dir}')
    imgs = [cv2.imread(p) for p in jpgs]
    targets = head_boxes(jpgs)
    os.makedirs(args.out_dir, exist_ok=True)
    print('load average at start (1, 5, 15 min):', os.getloadavg())
    rows = [['detector', f'recall (IoU >= {args.iou})', 'mean best IoU', 'ms / dev image',
             'boxes on the frames', 'ms / 1080p frame']]
    out = {}
    for spec in args.detectors:
        det = build_detector(spec)
        det(imgs[0])  # warm-up
        ious, ms = best_ious(det, imgs, targets)
        counts, frame_ms = [], []
        for path in frames:
            frame = cv2.imread(path)
            boxes, t = timed(det, frame)
            counts.append(len(boxes))
            frame_ms.append(t)
            for x1, y1, x2, y2, score in boxes:
                cv2.rectangle(frame, (int(x1), int(y1)), (int(x2), int(y2)), (0, 0, 255), 4)
                cv2.putText(frame, f'{score:.2f}', (int(x1), max(int(y1) - 8, 30)),
                            cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 0, 255), 3)
            name = f'{spec.replace(os.sep, "_").replace(":", "_")}_{osp.basename(path)}'
            cv2.imwrite(osp.join(args.out_dir, name), frame)
        found = int((ious >= args.iou).sum())
        out[spec] = dict(recall=found / len(ious), found=found, images=len(ious),
                         mean_iou=float(ious.mean()), ms_dev=float(ms.mean()),
                         frame_boxes=counts, ms_frame=float(np.mean(frame_ms)) if frames else 0)
        rows.append([spec, f'{found}/{len(ious)}', f'{ious.mean():.2f}', f'{ms.mean():.0f}',
                     ' + '.join(map(str, counts)), f'{np.mean(frame_ms):.0f}' if frames else '-'])
        print(f'{spec}: done', flush=True)
    print(AsciiTable(rows, f'{len(jpgs)} dev faces, {len(frames)} frames').table)
    if args.fit:
        for model in ('short', 'full'):
            out[f'fit_{model}'] = fit_box(model, imgs, targets)
            print(f'BlazeFace {model}-range box fit:', out[f'fit_{model}'])
    print('load average at end (1, 5, 15 min):', os.getloadavg())
    print(f'frames with their boxes: {args.out_dir}')
    return out


if __name__ == '__main__':
    main()
