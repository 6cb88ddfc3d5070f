"""Estimate head poses in an image or a folder of images; print them, write drawings and JSON.

The same command as ``headpose`` (installed with the package): see :mod:`headpose.cli`
for the options, the output and the exit status. With no CONFIG, the model packaged
with headpose estimates the faces that BlazeFace finds; CONFIG CHECKPOINT replace it.

Examples::

    python demo/image_demo.py demo/photos                   # the packaged model + BlazeFace
    python demo/image_demo.py photos/ --model my_zoo/my_model
    python demo/image_demo.py photos/ CONFIG CKPT --detector haar --out-dir outputs/photos
"""

import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from headpose.apis.inferencer import (  # noqa: E402, F401 - re-exported
    IMAGE_EXTENSIONS,
    demo_score_thr,
    list_images,
)
from headpose.cli import face_lines, main, parse_args  # noqa: E402, F401

if __name__ == '__main__':
    sys.exit(main())
