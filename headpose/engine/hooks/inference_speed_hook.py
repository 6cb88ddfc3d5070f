"""Speeding up a test run: BatchNorm folding and NHWC activations after the weights are loaded."""

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from headpose.models.utils import optimize_for_inference
from headpose.registry import HOOKS


@HOOKS.register_module()
class InferenceSpeedHook(Hook):
    """Applies :func:`~headpose.models.optimize_for_inference` before testing.

    It acts in ``before_test``, after the runner has loaded the checkpoint, and only
    there: validation during training must keep the BatchNorm layers. ``tools/test.py``
    adds it for ``--fuse-conv-bn`` and ``--channels-last``.

    Args:
        fuse_conv_bn: fold BatchNorm into the preceding convolution.
        channels_last: NHWC weights and inputs.
    """

    priority = 'VERY_HIGH'

    def __init__(self, fuse_conv_bn: bool = True, channels_last: bool = True):
        self.fuse_conv_bn = fuse_conv_bn
        self.channels_last = channels_last

    def before_test(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        optimize_for_inference(model, self.fuse_conv_bn, self.channels_last)
        runner.logger.info(f'inference speed-ups: fuse_conv_bn={self.fuse_conv_bn}, '
                           f'channels_last={self.channels_last}')
