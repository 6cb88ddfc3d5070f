"""The data sample that carries one image's labels and predictions between components.

It is a plain :class:`mmengine.structures.BaseDataElement` with one layout for a head
crop (one instance) and a multi-head image (any number):

* ``gt_instances`` (:class:`mmengine.structures.InstanceData`): ``bboxes`` (K, 4) xyxy
  in the input's pixels, ``rotations`` (K, 3, 3), ``labels`` (K, );
* after prediction ``pred_instances``: ``bboxes`` (K, 4) in original image pixels,
  ``scores`` (K, ), ``rotations`` (K, 3, 3) and ``poses`` (K, 3) = (yaw, pitch, roll) in
  degrees, in the Euler branch of the model's codec.

The rotation is the label; ground-truth angles are derived from it where they are
needed, in the branch of the meta field ``full_range``. Meta information
(``img_path``, ``ori_shape``, ``ori_bbox``, ``full_range``, ...) lives in ``metainfo``.
"""

from mmengine.structures import BaseDataElement


class HeadPoseDataSample(BaseDataElement):
    """Labels, predictions and meta information of one image (see the module docstring)."""
