"""HeadPoseVisualizer: boxes, head axes, cubes and angles drawn from the rotation matrices."""

from typing import List, Optional

import cv2
import numpy as np
from mmengine.visualization import Visualizer

from headpose.registry import VISUALIZERS
from headpose.structures import matrix_to_euler

from .draw import draw_axes, draw_cube, draw_label

#: BGR colours of ground truth and predictions.
GT_COLOR = (200, 200, 200)
PRED_COLOR = (0, 255, 255)


@VISUALIZERS.register_module()
class HeadPoseVisualizer(Visualizer):
    """Draws ground truth and/or predictions of a data sample on its image.

    Axes (and the optional cube) are projected from the rotation matrix, so what is
    drawn is what the labels or the model say. Axes: x red, y green, nose (z) blue;
    ground-truth boxes, cubes and text are grey, predicted ones yellow.

    The angles are written on a darkened band inside the picture (above the box, else
    below it, else inside it; the labels of one picture never overlap), in letters sized
    from the picture and the box so that they stay legible in a montage tile (see
    :func:`~headpose.visualization.draw.label_style`). The cube is off by default: it
    hides the face; when on, it is drawn with thin lines.

    Args:
        name: the instance name.
        axis_scale: axis length relative to the box size.
        draw_cube: also draw a thin cube around each head.
        **kwargs: the arguments of :class:`mmengine.visualization.Visualizer`.
    """

    def __init__(self, name: str = 'visualizer', axis_scale: float = 0.5,
                 draw_cube: bool = False, **kwargs):
        super().__init__(name=name, **kwargs)
        self.axis_scale = axis_scale
        self.with_cube = draw_cube

    def draw_head(self, img: np.ndarray, rotation, bbox, angles=None, label: str = '',
                  color=(0, 255, 255), taken: Optional[List[tuple]] = None,
                  labels: Optional[list] = None) -> np.ndarray:
        """Draws one head (box, cube, axes, angles) on a BGR image in place.

        Args:
            img: the BGR picture.
            rotation: the head's 3x3 rotation.
            bbox: its box ``x1, y1, x2, y2``.
            angles: (yaw, pitch, roll) written after ``label`` (``None``: no text).
            label: the text's beginning.
            color: BGR colour of box, cube and text.
            taken: rectangles of labels already on the picture, which this one avoids
                (and is appended to).
            labels: when given, the text is not written but appended to it as
                ``(text, bbox, color)``, to be written after every head's lines, so that
                no line crosses a label.

        Returns:
            ``img``.
        """
        x1, y1, x2, y2 = [float(v) for v in bbox]
        center = ((x1 + x2) / 2, (y1 + y2) / 2)
        size = max(x2 - x1, y2 - y1)
        rot = np.asarray(rotation, dtype=np.float64)
        thick = max(1, int(round(size / 80)))
        cv2.rectangle(img, (int(x1), int(y1)), (int(x2), int(y2)), color, thick)
        if self.with_cube:
            draw_cube(img, rot, center, size * self.axis_scale, color=color, thickness=1)
        draw_axes(img, rot, center, size * self.axis_scale, thickness=thick + 1)
        if angles is not None:
            text = label + 'y{:.0f} p{:.0f} r{:.0f}'.format(*[float(a) for a in angles])
            if labels is not None:
                labels.append((text, (x1, y1, x2, y2), color))
            else:
                draw_label(img, text, (x1, y1, x2, y2), color,
                           taken if taken is not None else [])
        return img

    def draw_instances(self, img: np.ndarray, instances, color=(0, 255, 255),
                       with_score: bool = True, label: str = '',
                       full_range: bool = False,
                       taken: Optional[List[tuple]] = None,
                       labels: Optional[list] = None) -> np.ndarray:
        """Draws every head of an ``InstanceData`` (``bboxes``, ``rotations``, and
        optionally ``poses`` and ``scores``) on a BGR image in place. Without ``poses``
        the angles written are those of the rotations in the branch of ``full_range``.
        Labels avoid the rectangles in ``taken`` and each other, or are appended to
        ``labels`` (see :meth:`draw_head`)."""
        taken = [] if taken is None else taken
        for i in range(len(instances)):
            text = label
            if with_score and 'scores' in instances:
                text += f'{float(instances.scores[i]):.2f} '
            rot = _np(instances.rotations[i])
            angles = _np(instances.poses[i]) if 'poses' in instances else \
                matrix_to_euler(rot, full_range)
            self.draw_head(img, rot, _np(instances.bboxes[i]), angles, text, color, taken,
                           labels)
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
        labels = []  # written last, so that no head's lines cross them
        if draw_gt and 'gt_instances' in data_sample:
            self.draw_instances(img, data_sample.gt_instances, GT_COLOR, with_score=False,
                                label='gt ', full_range=full_range, labels=labels)
        if draw_pred and 'pred_instances' in data_sample:
            self.draw_instances(img, data_sample.pred_instances, PRED_COLOR, labels=labels)
        taken = []  # the labels on this picture, so that none hides another
        for text, bbox, color in labels:
            draw_label(img, text, bbox, color, taken)
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
