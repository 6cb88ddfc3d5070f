"""An example plugin: a 6D-rotation MLP head and a geodesic loss, registered into headpose.

Importing this package registers ``Rot6DHead`` and ``GeodesicLoss`` in headpose's
``MODELS`` registry and ``Rot6DCodec`` in its ``TASK_UTILS`` registry, so a config
names them after listing the package in ``custom_imports``.
"""

from .codec import Rot6DCodec, gram_schmidt
from .head import Rot6DHead
from .loss import GeodesicLoss

__all__ = ['GeodesicLoss', 'Rot6DCodec', 'Rot6DHead', 'gram_schmidt']
