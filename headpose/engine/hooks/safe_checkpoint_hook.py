"""Keeps checkpoints loadable with ``torch.load(weights_only=True)``, so ``--resume`` works."""

from mmengine.hooks import Hook

from headpose.engine.checkpoint import plain_message_hub, restore_message_hub
from headpose.registry import HOOKS


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Writes mmengine's message-hub state as plain data and rebuilds it when loading.

    See :mod:`headpose.engine.checkpoint` for why: with torch >= 2.6 a stock mmengine
    checkpoint cannot be resumed without trusting arbitrary pickled code.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = plain_message_hub(checkpoint['message_hub'])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = restore_message_hub(checkpoint['message_hub'])
