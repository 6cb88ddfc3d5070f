"""Estimate head poses in a video file or a webcam stream; write a drawn video and a CSV.

Examples::

    python demo/video_demo.py clip.mp4 CONFIG CKPT --detector haar --smooth 0.6
    python demo/video_demo.py 0 CONFIG CKPT --detector haar --max-frames 300   # webcam 0
    python demo/video_demo.py clip.mp4 configs/multitask_net/CONFIG.py MT_CKPT

Writes ``--out-video`` (default ``outputs/video_demo/<name>.mp4``) and ``--out-csv``
(default next to it, ``.csv``) with one row per head and frame::

    frame,time_s,track,x1,y1,x2,y2,score,yaw,pitch,roll

(a frame with no head gets one row with only ``frame`` and ``time_s``). Angles are
degrees in the convention of docs/conventions.md. With ``--smooth M`` each head's
rotation matrix is averaged over frames (``R <- P(M * R_prev + (1 - M) * R_new)``,
``P`` the SVD projection onto rotations; heads are followed by box overlap) and the
angles are read off the smoothed matrix: smoothing Euler angles directly would break
at the +-180 wrap. With ``--detector file:PATH`` the boxes are looked up by the frame
index (0, 1, ...) as the file name. A video that cannot be opened, an absent webcam or
a video with no decodable frame: a message and exit status 1; setup errors: 2.
"""

import argparse
import csv
import os
import os.path as osp
import sys
from typing import List, Optional

import cv2
import numpy as np
from tqdm import tqdm

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

CSV_HEADER = ['frame', 'time_s', 'track', 'x1', 'y1', 'x2', 'y2', 'score', 'yaw', 'pitch',
              'roll']


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('input', help='a video file, or a webcam index such as 0')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='model checkpoint (.pth) or exported model (.onnx)')
    parser.add_argument('--detector', help='head detector for a top-down model: blazeface, '
                        'haar, auto (blazeface if installed, else haar), '
                        'file:PATH or CONFIG.py:CKPT (default: the whole frame is the head)')
    parser.add_argument('--out-video', help='drawn video (.mp4 or .avi)')
    parser.add_argument('--out-csv', help='per-frame CSV')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--score-thr', type=float, default=0.3)
    parser.add_argument('--smooth', type=float, default=0.0,
                        help='temporal smoothing momentum in [0, 1) (0: off; e.g. 0.6)')
    parser.add_argument('--max-frames', type=int, default=None,
                        help='stop after this many frames (a webcam runs until then or Ctrl-C)')
    parser.add_argument('--cube', action='store_true', help='also draw a thin cube per head')
    parser.add_argument('--no-cube', action='store_true',
                        help='no cube (the default; kept for old command lines)')
    parser.add_argument('--show', action='store_true', help='also show the frames (q quits)')
    return parser.parse_args(argv)


def open_capture(source: str) -> tuple:
    """Opens a video file or a webcam index; returns ``(capture, name, is_webcam)``.

    Raises:
        IOError: with a message that says which of the two failed and why it may have.
    """
    if source.isdigit():
        cap = cv2.VideoCapture(int(source))
        if not cap.isOpened():
            cap.release()
            raise IOError(f'cannot open webcam {source}: no camera at that index, or no '
                          'permission to use it (on Linux, check /dev/video*)')
        return cap, f'webcam{source}', True
    if not osp.isfile(source):
        raise IOError(f'video file not found: {source}')
    cap = cv2.VideoCapture(source)
    if not cap.isOpened():
        cap.release()
        raise IOError(f'cannot open video {source}: not a video, or a codec OpenCV lacks')
    return cap, osp.splitext(osp.basename(source))[0], False


def model_full_range(model) -> bool:
    """Whether the model reports angles in the full-range Euler branch: its codec says."""
    codec = getattr(model, 'pose_codec', None)
    if codec is None:
        raise ValueError(f'{type(model).__name__} has no pose_codec: cannot tell the Euler '
                         'range of its angles')
    return bool(codec.full_range)


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the demo; returns the exit status (0 fine, 1 input failure, 2 setup error)."""
    args = parse_args(argv)
    from headpose.apis import (
        RotationSmoother,
        build_detector,
        inference_model,
        inference_topdown,
        init_model,
        is_topdown,
    )
    from headpose.structures import matrix_to_euler
    from headpose.visualization import HeadPoseVisualizer
    try:
        model = init_model(args.config, args.checkpoint, device=args.device)
        detector = None
        if args.detector:
            if not is_topdown(model):
                raise ValueError(f'{type(model).__name__} finds heads itself: drop --detector')
            detector = build_detector(args.detector, device=args.device)
            if hasattr(detector, 'score_thr'):
                detector.score_thr = args.score_thr
        smoother = RotationSmoother(args.smooth) if args.smooth > 0 else None
    except Exception as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    try:
        cap, name, webcam = open_capture(args.input)
    except IOError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    out_video = args.out_video or osp.join('outputs', 'video_demo', f'{name}.mp4')
    out_csv = args.out_csv or osp.splitext(out_video)[0] + '.csv'
    for path in (out_video, out_csv):
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fps = cap.get(cv2.CAP_PROP_FPS)
    fps = fps if fps and fps > 0 else 25.0
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if not webcam else 0
    if args.max_frames:
        total = min(total, args.max_frames) if total > 0 else args.max_frames
    full_range = model_full_range(model)
    visualizer = HeadPoseVisualizer(name=f'video_demo_{id(args)}',
                                    draw_cube=args.cube and not args.no_cube)
    writer, frames, heads, status = None, 0, 0, 0
    bar = tqdm(total=total or None, desc=name, unit='frame')
    try:
        with open(out_csv, 'w', newline='', encoding='utf-8') as f:
            rows = csv.writer(f)
            rows.writerow(CSV_HEADER)
            while args.max_frames is None or frames < args.max_frames:
                ok, frame = cap.read()
                if not ok or frame is None:
                    break
                if writer is None:
                    h, w = frame.shape[:2]
                    fourcc = cv2.VideoWriter_fourcc(*('XVID' if out_video.endswith('.avi')
                                                      else 'mp4v'))
                    writer = cv2.VideoWriter(out_video, fourcc, fps, (w, h))
                    if not writer.isOpened():
                        raise IOError(f'cannot write the video {out_video} (unknown extension '
                                      'or codec; use .mp4 or .avi)')
                if detector is not None:
                    boxes = detector(frame, str(frames))
                    sample = inference_topdown(model, frame, bboxes=boxes)
                elif is_topdown(model):
                    sample = inference_topdown(model, frame)
                else:
                    sample = inference_model(model, frame, score_thr=args.score_thr)
                inst = sample.pred_instances
                boxes = inst.bboxes.numpy().reshape(-1, 4)
                rots = inst.rotations.numpy().reshape(-1, 3, 3).astype(np.float64)
                tracks = np.arange(len(boxes))
                if smoother is not None:
                    rots, tracks = smoother.update(boxes, rots)
                    inst.rotations = inst.rotations.new_tensor(rots)
                    inst.poses = inst.poses.new_tensor(matrix_to_euler(rots, full_range))
                poses = inst.poses.numpy().reshape(-1, 3)
                t = round(frames / fps, 4)
                for k in range(len(boxes)):
                    rows.writerow([frames, t, int(tracks[k])]
                                  + [round(float(v), 2) for v in boxes[k]]
                                  + [round(float(inst.scores[k]), 5)]
                                  + [round(float(v), 4) for v in poses[k]])
                if len(boxes) == 0:
                    rows.writerow([frames, t] + [''] * (len(CSV_HEADER) - 2))
                drawn = visualizer.draw_sample(frame, sample)
                writer.write(drawn)
                if args.show:
                    cv2.imshow(name, drawn)
                    if cv2.waitKey(1) & 0xFF == ord('q'):
                        break
                frames += 1
                heads += len(boxes)
                bar.update(1)
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
    except Exception as err:
        print(f'error at frame {frames}: {type(err).__name__}: {err}', file=sys.stderr)
        status = 1
    finally:
        bar.close()
        cap.release()
        if writer is not None:
            writer.release()
        if args.show:
            cv2.destroyAllWindows()
    if frames == 0 and status == 0:
        print(f'error: no frame could be read from {args.input}', file=sys.stderr)
        return 1
    print(f'{frames} frames, {heads} heads; video: {out_video}, CSV: {out_csv}')
    return status


if __name__ == '__main__':
    sys.exit(main())
