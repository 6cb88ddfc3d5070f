"""A web page for head poses: drop photographs or take a webcam snapshot, see axes and angles.

``python demo/web_demo.py [--model NAME|FOLDER|FILE | CONFIG CHECKPOINT] [--port 7860]``

Serves a Gradio page (``pip install gradio``; ``requirements/optional.txt``, the ``web``
extra of ``setup.py``) on http://127.0.0.1:7860. A person drops one or more photographs
(or takes a webcam snapshot in the second tab), chooses the face detector and the
smallest face score kept, and sees each picture with the head axes drawn (x red, y
green, nose blue) and a table of yaw, pitch and roll per face, in degrees
(docs/conventions.md). A file that is not an image is named in a message and the other
pictures are still estimated. With no model given, the model packaged with headpose is
used (``tools/deployment/package_model.py`` builds it); ``--model`` names another
packaged model, CONFIG CHECKPOINT any trained one.
"""

import argparse
import html
import os.path as osp
import sys
from typing import List, Optional, Sequence

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

#: The detector choices of the page: label -> ``build_detector`` spec (``None``: the
#: whole picture is the head).
DETECTORS = {'BlazeFace': 'blazeface', 'Haar cascades': 'haar', 'None (whole picture)': None}
#: The score threshold the page starts with (BlazeFace's own).
DEFAULT_SCORE_THR = 0.5
#: The columns of the table of faces.
COLUMNS = ('picture', 'face', 'yaw', 'pitch', 'roll', 'score', 'box (x1, y1, x2, y2)')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', nargs='?', help='a config (default: the packaged model)')
    parser.add_argument('checkpoint', nargs='?', help='its checkpoint (.pth or .onnx)')
    parser.add_argument('--model', help='a packaged model: its name, folder or model.pth')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--host', default='127.0.0.1', help='address to serve on')
    parser.add_argument('--port', type=int, default=7860)
    return parser.parse_args(argv)


class PosePage:
    """What the page computes: one inferencer, its detectors built once each.

    Args:
        inferencer: a :class:`~headpose.apis.HeadPoseInferencer` (its own detector is
            replaced by the one chosen on the page).
    """

    def __init__(self, inferencer):
        self.inferencer = inferencer
        self._detectors: dict = {}

    def detector(self, label: str):
        """The detector of a choice of the page (built at its first use)."""
        if label not in DETECTORS:
            raise ValueError(f'unknown detector {label!r}: choose one of {", ".join(DETECTORS)}')
        if label not in self._detectors:
            from headpose.apis import build_detector
            spec = DETECTORS[label]
            self._detectors[label] = None if spec is None else build_detector(spec)
        return self._detectors[label]

    def estimate(self, files: Optional[Sequence[str]], snapshot: Optional[np.ndarray],
                 detector: str, score_thr: float) -> tuple:
        """Estimates the poses in the dropped files and the webcam snapshot.

        Returns:
            ``(drawn pictures as (RGB image, caption) pairs, table rows, message)``; a
            file that cannot be read is named in the message, the others are estimated.
        """
        inputs, names = [], []
        for path in files or []:
            path = getattr(path, 'name', path)  # a file object of older Gradio versions
            inputs.append(path)
            names.append(osp.basename(path))
        if snapshot is not None:
            rgb = np.asarray(snapshot)
            inputs.append(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR) if rgb.ndim == 3 else rgb)
            names.append('webcam snapshot')
        if not inputs:
            return [], [], 'Drop photographs above, or take a webcam snapshot.'
        if self.inferencer.topdown:  # a Multitask-Net finds the heads itself
            self.inferencer.detector = self.detector(detector)
        pictures, rows, problems = [], [], []
        for name, item in zip(names, inputs):  # one at a time: a bad file fails alone
            try:
                result = self.inferencer([item], return_vis=True, score_thr=score_thr,
                                         skip_failed=True, show_progress=False)
                error = result['failed'][0]['error'] if result['failed'] else None
            except Exception as err:  # e.g. a video dropped among the photographs
                error = f'{type(err).__name__}: {err}'
            if error is not None:  # named as dropped, not by the server's copy
                error = error.replace(item, name) if isinstance(item, str) else error
                problems.append(f'{name}: not an image that can be read ({error})')
                continue
            record, drawn = result['predictions'][0], result['visualization'][0]
            pictures.append((cv2.cvtColor(drawn, cv2.COLOR_BGR2RGB),
                             f'{name}: {len(record["heads"])} face(s)'))
            rows += table_rows(name, record['heads'])
            if not record['heads']:
                problems.append(f'{name}: no face found (try another detector or a lower '
                                'score threshold)')
        faces = len(rows)
        message = f'{len(pictures)} picture(s), {faces} face(s).'
        if problems:
            message += ' ' + ' '.join(problems)
        return pictures, rows, message


def table_rows(name: str, heads: List[dict]) -> List[list]:
    """The table's rows of one picture's faces (angles to 2 decimals)."""
    return [[name, k, round(h['yaw'], 2), round(h['pitch'], 2), round(h['roll'], 2),
             round(h['score'], 3), ', '.join(f'{v:.0f}' for v in h['bbox'])]
            for k, h in enumerate(heads)]


def table_html(rows: List[list]) -> str:
    """The table of faces as HTML (``<table id="pose-table">``)."""
    head = ''.join(f'<th>{html.escape(c)}</th>' for c in COLUMNS)
    body = ''.join('<tr>' + ''.join(f'<td>{html.escape(str(v))}</td>' for v in row) + '</tr>'
                   for row in rows)
    return (f'<table id="pose-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{body}</tbody></table>')


def build_page(page: PosePage, title: str):
    """The Gradio page (a ``gradio.Blocks``) over ``page``."""
    import gradio as gr
    with gr.Blocks(title='headpose') as blocks:
        gr.Markdown(f'# Head pose\n{title}. Angles in degrees: yaw (turn), pitch (nod), '
                    'roll (tilt); axes x red, y green, nose blue.')
        with gr.Row():
            with gr.Column():
                with gr.Tab('Photographs'):
                    files = gr.File(file_count='multiple', type='filepath',
                                    label='Drop photographs here', elem_id='photos')
                with gr.Tab('Webcam'):
                    snapshot = gr.Image(sources=['webcam'], type='numpy',
                                        label='Webcam snapshot', elem_id='webcam')
                detector = gr.Dropdown(list(DETECTORS), value='BlazeFace', label='Face detector',
                                       elem_id='detector')
                score_thr = gr.Slider(0.0, 1.0, value=DEFAULT_SCORE_THR, step=0.05,
                                      label='Smallest face score kept', elem_id='score-thr')
                button = gr.Button('Estimate', variant='primary', elem_id='estimate')
            with gr.Column():
                message = gr.Markdown('Drop photographs, or take a webcam snapshot.',
                                      elem_id='message')
                gallery = gr.Gallery(label='Head axes', elem_id='drawn', columns=2)
                table = gr.HTML(table_html([]), elem_id='poses')

        def run(files_, snapshot_, detector_, score_thr_):
            try:
                pictures, rows, text = page.estimate(files_, snapshot_, detector_,
                                                     float(score_thr_))
            except Exception as err:  # the page keeps working; the message says why
                return [], table_html([]), f'Error: {type(err).__name__}: {err}'
            return pictures, table_html(rows), text

        inputs, outputs = [files, snapshot, detector, score_thr], [gallery, table, message]
        button.click(run, inputs, outputs)
        files.upload(run, inputs, outputs)
        snapshot.change(run, inputs, outputs)
    return blocks


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        import gradio  # noqa: F401
    except ImportError:
        print('error: the web page needs gradio: pip install gradio (requirements/optional.txt)',
              file=sys.stderr)
        return 2
    from headpose.apis.inferencer import demo_inferencer
    try:
        inferencer = demo_inferencer(args.config, args.checkpoint, model=args.model,
                                     device=args.device)
    except Exception as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    shown = inferencer.weights
    if shown and not osp.relpath(shown).startswith('..'):
        shown = osp.relpath(shown)
    title = f'Model: `{shown}`' if shown else 'Model: random weights'
    blocks = build_page(PosePage(inferencer), title)
    blocks.queue().launch(server_name=args.host, server_port=args.port, share=False,
                          footer_links=[], show_error=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
