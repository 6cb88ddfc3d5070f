"""The data sample that carries one image's labels and predictions between components.

It is a plain :class:`mmengine.structures.BaseDataElement`; the fields in use are:

* top-down (one head per crop): ``gt_rotation`` (3, 3), ``gt_pose`` (3,) = (yaw,
  pitch, roll) in degrees, and after prediction ``pred_rotation`` / ``pred_pose``;
* multi-head (one image, many heads): ``gt_instances`` and ``pred_instances``
  (:class:`mmengine.structures.InstanceData` with ``bboxes``, ``rotations``,
  ``poses``, ``labels`` and, for predictions, ``scores``).

Meta information (``img_path``, ``ori_shape``, ``bbox``, ...) lives in ``metainfo``.
"""

from mmengine.structures import BaseDataElement


class HeadPoseDataSample(BaseDataElement):
    """Labels, predictions and meta information of one image (see the module docstring)."""
