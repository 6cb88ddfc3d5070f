"""HeadPoseVisualizer: boxes, head axes, cubes and angles drawn from the rotation matrices."""

from typing import Optional

import cv2
import numpy as np
from mmengine.visualization import Visualizer

from headpose.registry import VISUALIZERS
from headpose.structures import matrix_to_euler

from .draw import draw_axes, draw_cube

#: BGR colours of ground truth and predictions.
GT_COLOR = (200, 200, 200)
PRED_COLOR = (0, 255, 255)


@VISUALIZERS.register_module()
class HeadPoseVisualizer(Visualizer):
    """Draws ground truth and/or predictions of a data sample on its image.

    Axes and cube are projected from the rotation matrix, so what is drawn is what the
    labels or the model say. Axes: x red, y green, nose (z) blue; ground-truth boxes
    and text are grey, predicted ones yellow.

    Args:
        name: the instance name.
        axis_scale: axis length relative to the box size.
        draw_cube: also draw the cube.
        **kwargs: the arguments of :class:`mmengine.visualization.Visualizer`.
    """

    def __init__(self, name: str = 'visualizer', axis_scale: float = 0.5,
                 draw_cube: bool = True, **kwargs):
        super().__init__(name=name, **kwargs)
        self.axis_scale = axis_scale
        self.with_cube = draw_cube

    def draw_head(self, img: np.ndarray, rotation, bbox, angles=None, label: str = '',
                  color=(0, 255, 255)) -> np.ndarray:
        """Draws one head (box, cube, axes, angles) on a BGR image in place."""
        x1, y1, x2, y2 = [float(v) for v in bbox]
        center = ((x1 + x2) / 2, (y1 + y2) / 2)
        size = max(x2 - x1, y2 - y1)
        rot = np.asarray(rotation, dtype=np.float64)
        thick = max(1, int(round(size / 80)))
        cv2.rectangle(img, (int(x1), int(y1)), (int(x2), int(y2)), color, thick)
        if self.with_cube:
            draw_cube(img, rot, center, size * self.axis_scale, thickness=thick)
        draw_axes(img, rot, center, size * self.axis_scale, thickness=thick + 1)
        if angles is not None:
            text = label + 'y{:.0f} p{:.0f} r{:.0f}'.format(*[float(a) for a in angles])
            scale = max(0.3, size / 250)
            cv2.putText(img, text, (int(x1), max(int(y1) - 4, 10)), cv2.FONT_HERSHEY_SIMPLEX,
                        scale, color, max(1, thick), cv2.LINE_AA)
        return img

    def draw_instances(self, img: np.ndarray, instances, color=(0, 255, 255),
                       with_score: bool = True, label: str = '',
                       full_range: bool = False) -> np.ndarray:
        """Draws every head of an ``InstanceData`` (``bboxes``, ``rotations``, and
        optionally ``poses`` and ``scores``) on a BGR image in place. Without ``poses``
        the angles written are those of the rotations in the branch of ``full_range``."""
        for i in range(len(instances)):
            text = label
            if with_score and 'scores' in instances:
                text += f'{float(instances.scores[i]):.2f} '
            rot = _np(instances.rotations[i])
            angles = _np(instances.poses[i]) if 'poses' in instances else \
                matrix_to_euler(rot, full_range)
            self.draw_head(img, rot, _np(instances.bboxes[i]), angles, text, color)
        return img

    def draw_sample(self, image: np.ndarray, data_sample=None, draw_gt: bool = True,
                    draw_pred: bool = True) -> np.ndarray:
        """Returns a copy of ``image`` (BGR) with the sample's ground truth
        (``gt_instances``, grey) and predictions (``pred_instances``, yellow), each head
        in its own box; a head crop is an image with one instance."""
        img = np.ascontiguousarray(image.copy())
        if data_sample is None:
            return img
        full_range = bool(data_sample.metainfo.get('full_range', False))
        if draw_gt and 'gt_instances' in data_sample:
            self.draw_instances(img, data_sample.gt_instances, GT_COLOR, with_score=False,
                                label='gt ', full_range=full_range)
        if draw_pred and 'pred_instances' in data_sample:
            self.draw_instances(img, data_sample.pred_instances, PRED_COLOR)
        return img

    def add_datasample(self, name: str, image: np.ndarray, data_sample=None,
                       draw_gt: bool = True, draw_pred: bool = True, show: bool = False,
                       wait_time: float = 0, out_file: Optional[str] = None,
                       step: int = 0) -> np.ndarray:
        """Draws a data sample on ``image`` (BGR) and shows, saves or returns it."""
        img = self.draw_sample(image, data_sample, draw_gt, draw_pred)
        if show:
            self.show(img[..., ::-1], win_name=name, wait_time=wait_time)
        if out_file is not None:
            if not cv2.imwrite(out_file, img):
                raise IOError(f'HeadPoseVisualizer: cannot write {out_file}')
        else:
            self.add_image(name, img[..., ::-1], step)
        return img


def _np(x) -> np.ndarray:
    """A tensor or array as a float64 numpy array."""
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)
