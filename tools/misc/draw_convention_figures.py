"""Draw the pictures of docs/conventions.md: head axes from the labels, on real and rendered heads.

``python tools/misc/draw_convention_figures.py [--out-dir docs/_static] [--size 200]
[--samples ../shared/data/real_samples/aflw2000]``

* ``conventions_synthheads.png`` (kept in the repository): SynthHeads renders (our own,
  free of any licence) at zero pose, yaw +40, pitch +30 and roll +30, each with the axes
  projected from its rotation matrix: this shows the sign of each angle.
* ``aflw2000_<image>.png`` (NOT kept in the repository): the real AFLW2000-3D samples
  with the axes of their ground-truth labels, ``size`` pixels wide. AFLW2000-3D is
  licensed for non-commercial research only, so these derived pictures are written
  when the documentation is built (skipped with a message if the samples are absent).

Axes: x red, y green, nose (z) blue; what is drawn is ``R`` applied to the head's unit
axes, orthographically projected (camera x right, y up).
"""

import argparse
import glob
import os
import os.path as osp
import sys
from typing import List, Optional, Tuple

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SAMPLES = osp.join(REPO, '..', 'shared', 'data', 'real_samples', 'aflw2000')
#: The poses of the rendered figure: (title, (yaw, pitch, roll)).
SYNTH_POSES = (('zero pose', (0, 0, 0)), ('yaw +40', (40, 0, 0)),
               ('pitch +30', (0, 30, 0)), ('roll +30', (0, 0, 30)))


def read_aflw2000(jpg: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An AFLW2000-3D sample: ``(BGR image, (yaw, pitch, roll) degrees, R, head box)``.

    The angles come from ``Pose_Para`` as every adapter reads them; the box is the
    ``pt3d_68`` landmark box scaled by 1.2 (``AFLW2000Dataset``'s default).
    """
    from headpose.datasets.mat_utils import (
        landmark_bbox,
        pose_para_to_angles,
        read_mat,
        scale_bboxes,
    )
    from headpose.structures import euler_to_matrix
    mat_path = osp.splitext(jpg)[0] + '.mat'
    mat = read_mat(mat_path, ['Pose_Para', 'pt3d_68'])
    angles = pose_para_to_angles(mat['Pose_Para'], mat_path)
    box = scale_bboxes(landmark_bbox(mat['pt3d_68'], mat_path), 1.2)
    img = cv2.imread(jpg, cv2.IMREAD_COLOR)
    if img is None:
        raise IOError(f'cannot read {jpg}')
    return img, angles, euler_to_matrix(angles), box


def draw_labelled(visualizer, img: np.ndarray, rotation: np.ndarray, box, angles,
                  size: int = 200, margin: float = 0.25) -> np.ndarray:
    """Draws the axes, cube and angles of one head, crops around its box and resizes the
    crop to ``size`` pixels wide."""
    drawn = img.copy()
    visualizer.draw_head(drawn, rotation, box, None, '', (255, 255, 255))
    x1, y1, x2, y2 = [float(v) for v in box]
    side = max(x2 - x1, y2 - y1) * (1 + 2 * margin)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    from headpose.datasets.transforms.geometric import crop_matrix, to_index_matrix
    mat = to_index_matrix(crop_matrix(np.array([cx, cy]), side, (size, size)))
    out = cv2.warpAffine(drawn, mat, (size, size), flags=cv2.INTER_AREA,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    text = 'y{:+.0f} p{:+.0f} r{:+.0f}'.format(*[float(a) for a in angles])
    cv2.rectangle(out, (0, size - 20), (size, size), (0, 0, 0), -1)
    cv2.putText(out, text, (4, size - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1,
                cv2.LINE_AA)
    return out


def synthheads_figure(visualizer, size: int = 200) -> np.ndarray:
    """Renders one SynthHeads identity at the poses of :data:`SYNTH_POSES`, axes drawn."""
    from headpose.datasets.synthheads.renderer import render_head, sample_identity
    from headpose.structures import euler_to_matrix
    ident = sample_identity(np.random.default_rng(7))
    tiles = []
    for title, angles in SYNTH_POSES:
        rot = euler_to_matrix(np.asarray(angles, np.float64))
        img, box = render_head(ident, rot, size=size, rng=0, jitter=0.0, blur_prob=0.0,
                               noise_prob=0.0, background=(0.85, 0.85, 0.85),
                               light=(0.3, 0.4, 1.0), ambient=0.45)
        x1, y1, x2, y2 = box
        side = max(x2 - x1, y2 - y1)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        head = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
        visualizer.draw_head(img, rot, head, None, '', (90, 90, 90))
        cv2.putText(img, title, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1,
                    cv2.LINE_AA)
        tiles.append(cv2.copyMakeBorder(img, 0, 0, 0, 4, cv2.BORDER_CONSTANT,
                                        value=(255, 255, 255)))
    return np.concatenate(tiles, axis=1)[:, :-4]


def main(argv: Optional[List[str]] = None) -> List[str]:
    """Writes the figures; returns their paths."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out-dir', default=osp.join(REPO, 'docs', '_static'))
    parser.add_argument('--size', type=int, default=200, help='width of each picture (px)')
    parser.add_argument('--samples', default=SAMPLES, help='folder of AFLW2000 .jpg + .mat')
    parser.add_argument('--no-synthetic', action='store_true',
                        help='skip the SynthHeads figure')
    args = parser.parse_args(argv)
    from headpose.visualization import HeadPoseVisualizer
    visualizer = HeadPoseVisualizer(name=f'convention_figures_{os.getpid()}',
                                    axis_scale=0.6, draw_cube=False)
    os.makedirs(args.out_dir, exist_ok=True)
    written = []
    if not args.no_synthetic:
        path = osp.join(args.out_dir, 'conventions_synthheads.png')
        cv2.imwrite(path, synthheads_figure(visualizer, args.size))
        written.append(path)
    jpgs = sorted(glob.glob(osp.join(args.samples, '*.jpg')))
    if not jpgs:
        print(f'no AFLW2000 samples in {args.samples}: the real-face figures are skipped')
    for jpg in jpgs:
        img, angles, rot, box = read_aflw2000(jpg)
        path = osp.join(args.out_dir, f'aflw2000_{osp.splitext(osp.basename(jpg))[0]}.png')
        cv2.imwrite(path, draw_labelled(visualizer, img, rot, box, angles, args.size))
        written.append(path)
    for path in written:
        print(path)
    return written


if __name__ == '__main__':
    main()
