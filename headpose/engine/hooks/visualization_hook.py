"""Draws predictions during validation and testing (``tools/test.py --show-dir``)."""

import os
import os.path as osp
from typing import Optional

import cv2
import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.visualization import Visualizer

from headpose.registry import HOOKS
from headpose.structures import unletterbox_boxes


@HOOKS.register_module()
class HeadPoseVisualizationHook(Hook):
    """Draws ground truth and predictions of test images with ``HeadPoseVisualizer``.

    Each image is drawn on its original file when it exists on disk (with the head
    box), otherwise on the network's input crop (rendered data). After the test, the
    first ``montage_size`` drawings are also tiled into ``montage.jpg``.

    Args:
        draw: whether to draw at all.
        interval: draw every ``interval``-th test batch.
        show: show the drawings in a window.
        wait_time: seconds per shown image.
        test_out_dir: output folder; relative paths go into the run's log folder.
        montage_size: how many drawings the montage tiles (0: none).
    """

    priority = 'NORMAL'

    def __init__(self, draw: bool = False, interval: int = 1, show: bool = False,
                 wait_time: float = 0.0, test_out_dir: Optional[str] = None,
                 montage_size: int = 16):
        self.draw = draw
        self.interval = interval
        self.show = show
        self.wait_time = wait_time
        self.test_out_dir = test_out_dir
        self.montage_size = montage_size
        self._drawn = []

    def before_test(self, runner) -> None:
        self._drawn = []
        if self.test_out_dir is not None and not osp.isabs(self.test_out_dir):
            self.test_out_dir = osp.join(runner.log_dir, self.test_out_dir)
        if self.test_out_dir is not None:
            os.makedirs(self.test_out_dir, exist_ok=True)

    def _image_of(self, data_batch: dict, i: int, sample) -> tuple:
        """The picture to draw on and the sample as drawn there: the original file when
        it exists (the crop's heads in their box there, ``ori_bbox``), else the network's
        input (rendered data; a crop's heads fill it)."""
        path = sample.metainfo.get('img_path')
        box = sample.metainfo.get('ori_bbox')
        if path and osp.isfile(path):
            img = cv2.imread(path, cv2.IMREAD_COLOR)
            if img is not None:
                if box is not None:
                    return img, _with_boxes(sample, box)
                shown = sample.clone()  # a scene: its true boxes are in input pixels
                if 'gt_instances' in shown:
                    shown.gt_instances.bboxes = unletterbox_boxes(
                        shown.gt_instances.bboxes, shown.metainfo)
                return img, shown
        crop = data_batch['inputs'][i]
        if isinstance(crop, (list, tuple)):
            crop = crop[0]
        img = np.ascontiguousarray(crop.permute(1, 2, 0).cpu().numpy().astype(np.uint8))
        if max(img.shape[:2]) < 256:  # small crops are drawn larger, for legible text
            scale = 256 / max(img.shape[:2])
            img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        if box is None:  # not a crop: boxes are in input pixels
            return img, sample
        return img, _with_boxes(sample, (0, 0, img.shape[1], img.shape[0]))

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self.draw or batch_idx % self.interval:
            return
        visualizer = Visualizer.get_current_instance()
        for i, sample in enumerate(outputs):
            img, shown = self._image_of(data_batch, i, sample)
            name = f'{batch_idx:05d}_{i:03d}_' + osp.basename(
                sample.metainfo.get('img_path') or 'image.png')
            name = osp.splitext(name)[0] + '.jpg'
            out_file = osp.join(self.test_out_dir, name) if self.test_out_dir else None
            drawn = visualizer.add_datasample(name, img, shown, show=self.show,
                                              wait_time=self.wait_time, out_file=out_file)
            if len(self._drawn) < self.montage_size:
                self._drawn.append(drawn)

    def after_test(self, runner) -> None:
        if self.test_out_dir and self._drawn:
            path = osp.join(self.test_out_dir, 'montage.jpg')
            cv2.imwrite(path, make_montage(self._drawn))
            runner.logger.info(f'drawn test results are in {self.test_out_dir} '
                               f'(overview: {path})')


def _with_boxes(sample, box):
    """A copy of a crop's sample whose heads are drawn in ``box`` (``None``: unchanged)."""
    shown = sample.clone()
    if box is None:
        return shown
    for key in ('gt_instances', 'pred_instances'):
        if key in shown:
            inst = shown.get(key)
            inst.bboxes = torch.as_tensor(box, dtype=torch.float32).reshape(1, 4).repeat(
                len(inst), 1)
    return shown


def make_montage(images: list, tile: int = 192, cols: int = 4) -> np.ndarray:
    """Tiles BGR images (resized to ``tile`` x ``tile``) into a grid."""
    rows = (len(images) + cols - 1) // cols
    canvas = np.zeros((rows * tile, cols * tile, 3), dtype=np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, cols)
        canvas[r * tile:(r + 1) * tile, c * tile:(c + 1) * tile] = cv2.resize(img, (tile, tile))
    return canvas
