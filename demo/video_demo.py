"""Estimate head poses in a video file or a webcam stream; write a drawn video and a CSV.

A command line over :meth:`headpose.apis.HeadPoseInferencer.stream`; CONFIG may also be a
config name or a model name of ``model-index.yml``. With no CONFIG, the model packaged
with headpose estimates the faces that BlazeFace finds.

Examples::

    python demo/video_demo.py clip.mp4 --smooth 0.6        # the packaged model + BlazeFace
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
a video with no decodable frame, or one that ends before the frame count its header
states (frames read of frames announced; ``--allow-short`` accepts it, exit status 0): a
message and exit status 1; setup errors: 2.
"""

import argparse
import csv
import os
import os.path as osp
import sys
from typing import List, Optional

import cv2

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from headpose.apis.inferencer import (  # noqa: E402, F401 - model_full_range: re-exported
    VIDEO_CSV_HEADER,
    VideoSink,
    csv_rows,
    demo_score_thr,
    model_full_range,
)

CSV_HEADER = VIDEO_CSV_HEADER


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('input', help='a video file, or a webcam index such as 0')
    parser.add_argument('config', nargs='?', help='model config file, config name or model '
                        'name (default: the packaged model, with BlazeFace)')
    parser.add_argument('checkpoint', nargs='?',
                        help='model checkpoint (.pth) or exported model (.onnx)')
    parser.add_argument('--model', help='a packaged model instead of CONFIG CHECKPOINT (name, '
                        'folder or model.pth)')
    parser.add_argument('--detector', help='head detector for a top-down model: blazeface, '
                        'haar, auto (blazeface if installed, else haar), file:PATH or '
                        'CONFIG.py:CKPT (default: auto for a packaged model; for CONFIG '
                        'CHECKPOINT the whole frame is the head)')
    parser.add_argument('--out-video', help='drawn video (.mp4 or .avi)')
    parser.add_argument('--out-csv', help='per-frame CSV')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--score-thr', type=float,
                        help="smallest detection score kept (default: a detector's own, "
                        'BlazeFace 0.5, Haar 0, Multitask-Net 0.3; a Multitask-Net on '
                        'whole images 0.3)')
    parser.add_argument('--smooth', type=float, default=0.0,
                        help='temporal smoothing momentum in [0, 1) (0: off; e.g. 0.6)')
    parser.add_argument('--max-frames', type=int, default=None,
                        help='stop after this many frames (a webcam runs until then or Ctrl-C)')
    parser.add_argument('--cube', action='store_true', help='also draw a thin cube per head')
    parser.add_argument('--no-cube', action='store_true',
                        help='no cube (the default; kept for old command lines)')
    parser.add_argument('--show', action='store_true', help='also show the frames (q quits)')
    parser.add_argument('--allow-short', action='store_true',
                        help='exit 0 when the video ends before the frame count its header '
                        'states (a truncated file); it is still reported')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the demo; returns the exit status (0 fine, 1 input failure, 2 setup error)."""
    args = parse_args(argv)
    from headpose.apis.inferencer import demo_inferencer
    source = int(args.input) if args.input.isdigit() else args.input
    try:
        inferencer = demo_inferencer(args.config, args.checkpoint, model=args.model,
                                     detector=args.detector, device=args.device)
    except Exception as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    try:  # the arguments are checked before the video is opened
        score_thr = demo_score_thr(args.score_thr, inferencer)
        stream = inferencer.stream(source, return_vis=True, score_thr=score_thr,
                                   draw_cube=args.cube and not args.no_cube, smooth=args.smooth,
                                   max_frames=args.max_frames)
    except IOError as err:  # the video or webcam
        print(f'error: {err}', file=sys.stderr)
        return 1
    except Exception as err:  # e.g. a smoothing momentum out of range
        print(f'error: {err}', file=sys.stderr)
        return 2
    out_video = args.out_video or osp.join('outputs', 'video_demo', f'{stream.name}.mp4')
    out_csv = args.out_csv or osp.splitext(out_video)[0] + '.csv'
    for path in (out_video, out_csv):
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    writer, frames, heads, status = VideoSink(out_video, stream.fps), 0, 0, 0
    stopped = False  # by the user: q or Ctrl-C
    try:
        with open(out_csv, 'w', newline='', encoding='utf-8') as f:
            rows = csv.writer(f)
            rows.writerow(CSV_HEADER)
            for item in stream:
                rows.writerows(csv_rows(item['prediction']))
                writer.write(item['visualization'])
                if args.show:
                    cv2.imshow(stream.name, item['visualization'])
                    if cv2.waitKey(1) & 0xFF == ord('q'):
                        stopped = True
                        break
                frames += 1
                heads += len(item['prediction']['heads'])
    except KeyboardInterrupt:
        stopped = True
        print('interrupted', file=sys.stderr)
    except Exception as err:
        print(f'error at frame {frames}: {type(err).__name__}: {err}', file=sys.stderr)
        status = 1
    finally:
        stream.close()
        writer.close()
        if args.show:
            cv2.destroyAllWindows()
    if frames == 0 and status == 0:
        print(f'error: no frame could be read from {args.input}', file=sys.stderr)
        return 1
    announced = stream.total if stream.kind == 'video' else None
    short = bool(announced) and frames < announced and status == 0 and not stopped
    read = f'{frames} of {announced} frames' if short else f'{frames} frames'
    print(f'{read}, {heads} heads; video: {out_video}, CSV: {out_csv}')
    if short:
        print(f'{"warning" if args.allow_short else "error"}: {args.input} ended after '
              f'{frames} of the {announced} frames its header announces (a truncated or '
              'damaged file?)' + ('' if args.allow_short else '; --allow-short accepts it'),
              file=sys.stderr)
        return 0 if args.allow_short else 1
    return status


if __name__ == '__main__':
    sys.exit(main())
