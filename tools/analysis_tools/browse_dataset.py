"""Draw a config's data as the model receives it: images after the pipeline, with their labels.

``python tools/analysis_tools/browse_dataset.py CONFIG [--phase train|val|test]
[--output-dir DIR] [--max-items 16] [--cfg-options ...]``

Every item goes through the dataset's pipeline (augmentations included, so run it twice
to see two draws), and its ground truth is drawn on the resulting image from the
rotation matrix: axes x red, y green, nose blue, a cube, and the (yaw, pitch, roll)
text. If a transform changed the image without updating the label the right way, the
axes no longer follow the head: this is the check for a new transform. A pair of
``PairDataset`` is drawn side by side. One image per item and ``montage.jpg`` (all
items in a grid) are written to the output folder.
"""

import argparse
import math
import os
import os.path as osp
import sys
from typing import List

import cv2
import numpy as np
from mmengine.config import DictAction
from tqdm import tqdm

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from headpose.structures import matrix_to_euler  # noqa: E402
from headpose.utils.launch import load_config  # noqa: E402


def draw_item(visualizer, item: dict) -> np.ndarray:
    """Draws one dataset item (a single sample or a pair) as one BGR image."""
    inputs, samples = item['inputs'], item['data_samples']
    if not isinstance(inputs, (list, tuple)):
        inputs, samples = [inputs], [samples]
    tiles = []
    for img, sample in zip(inputs, samples):
        img = np.ascontiguousarray(img.numpy().transpose(1, 2, 0))
        scale = max(1, int(math.ceil(160 / max(img.shape[:2]))))  # small crops: enlarge
        if scale > 1:
            img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
        if 'gt_instances' in sample:  # a crop's one head or a scene's many
            full_range = bool(sample.metainfo.get('full_range', False))
            inst = sample.gt_instances
            for i in range(len(inst)):
                rot = inst.rotations[i].numpy()
                visualizer.draw_head(img, rot, inst.bboxes[i].numpy() * scale,
                                     matrix_to_euler(rot, full_range), '', (255, 255, 255))
        tiles.append(img)
    height = max(t.shape[0] for t in tiles)
    tiles = [cv2.copyMakeBorder(t, 0, height - t.shape[0], 0, 4, cv2.BORDER_CONSTANT)
             for t in tiles]
    return np.concatenate(tiles, axis=1)


def montage(images: List[np.ndarray], columns: int = 4) -> np.ndarray:
    """Puts images of any sizes in a grid (each cell as big as the largest image)."""
    h = max(i.shape[0] for i in images)
    w = max(i.shape[1] for i in images)
    rows = int(math.ceil(len(images) / columns))
    grid = np.zeros((rows * h, min(columns, len(images)) * w, 3), dtype=np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, columns)
        grid[r * h:r * h + img.shape[0], c * w:c * w + img.shape[1]] = img
    return grid


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('--phase', choices=['train', 'val', 'test'], default='train',
                        help='whose dataloader to draw')
    parser.add_argument('--output-dir', default='work_dirs/browse_dataset',
                        help='where the images and montage.jpg are written')
    parser.add_argument('--max-items', '--max', type=int, default=16,
                        help='how many items to draw')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    return parser.parse_args(argv)


def main(argv=None) -> List[str]:
    """Draws the first ``--max-items`` items; returns the written image paths."""
    args = parse_args(argv)
    from mmengine.registry import init_default_scope

    from headpose.registry import DATASETS
    from headpose.utils import register_all_modules
    from headpose.visualization import HeadPoseVisualizer

    cfg = load_config(args.config, args.cfg_options)
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'headpose'))
    loader = cfg.get(f'{args.phase}_dataloader')
    if not loader:
        raise SystemExit(f'{args.config} has no {args.phase}_dataloader')
    dataset = DATASETS.build(loader.dataset)
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    visualizer = HeadPoseVisualizer(name='browse_dataset', draw_cube=True)
    os.makedirs(args.output_dir, exist_ok=True)
    count = min(args.max_items, len(dataset))
    drawn, paths = [], []
    for idx in tqdm(range(count), desc=f'drawing {args.phase} items', unit='item'):
        img = draw_item(visualizer, dataset[idx])
        path = osp.join(args.output_dir, f'{idx:05d}.png')
        if not cv2.imwrite(path, img):
            raise SystemExit(f'cannot write {path}')
        drawn.append(img)
        paths.append(path)
    if drawn:
        cv2.imwrite(osp.join(args.output_dir, 'montage.jpg'), montage(drawn))
    print(f'{len(paths)} {args.phase} items drawn into {args.output_dir} (montage.jpg)')
    return paths


if __name__ == '__main__':
    main()
