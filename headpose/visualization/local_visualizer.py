"""HeadPoseVisualizer: boxes, head axes, cubes and angles drawn from the rotation matrices."""

from typing import Optional

import cv2
import numpy as np
from mmengine.visualization import Visualizer

from headpose.registry import VISUALIZERS

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
                       with_score: bool = True) -> np.ndarray:
        """Draws every head of an ``InstanceData`` (``bboxes``, ``rotations``, ``poses``
        and optionally ``scores``) on a BGR image in place."""
        for i in range(len(instances)):
            label = ''
            if with_score and 'scores' in instances:
                label = f'{float(instances.scores[i]):.2f} '
            self.draw_head(img, _np(instances.rotations[i]), _np(instances.bboxes[i]),
                           _np(instances.poses[i]), label, color)
        return img

    def draw_sample(self, image: np.ndarray, data_sample=None, draw_gt: bool = True,
                    draw_pred: bool = True) -> np.ndarray:
        """Returns a copy of ``image`` (BGR) with the sample's ground truth and predictions.

        Top-down samples (``gt_rotation`` / ``pred_rotation``) are drawn in the
        ``bbox`` of their meta information (the whole image without one); multi-head
        samples (``gt_instances`` / ``pred_instances``) in their own boxes. Ground
        truth is grey, predictions yellow.
        """
        img = np.ascontiguousarray(image.copy())
        if data_sample is None:
            return img
        bbox = data_sample.metainfo.get('bbox')
        if bbox is None:
            bbox = (0, 0, img.shape[1], img.shape[0])
        if draw_gt and 'gt_rotation' in data_sample:
            self.draw_head(img, _np(data_sample.gt_rotation), bbox,
                           _np(data_sample.gt_pose) if 'gt_pose' in data_sample else None,
                           'gt ', GT_COLOR)
        if draw_pred and 'pred_rotation' in data_sample:
            self.draw_head(img, _np(data_sample.pred_rotation), bbox, None, '', PRED_COLOR)
            if 'pred_pose' in data_sample:
                pose = _np(data_sample.pred_pose)
                cv2.putText(img, 'pred y{:.0f} p{:.0f} r{:.0f}'.format(*pose),
                            (int(bbox[0]), int(bbox[3]) + 14), cv2.FONT_HERSHEY_SIMPLEX,
                            max(0.3, (bbox[2] - bbox[0]) / 250), PRED_COLOR, 1, cv2.LINE_AA)
        if draw_gt and 'gt_instances' in data_sample:
            self.draw_instances(img, data_sample.gt_instances, GT_COLOR, with_score=False)
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
