"""Counts the unreadable training images that were replaced, and reports them each epoch."""

import logging

from mmengine.hooks import Hook

from headpose.registry import HOOKS


@HOOKS.register_module()
class BadImageReportHook(Hook):
    """Reports how many training images could not be read (and were replaced) per epoch.

    The datasets put the paths they skipped into the ``replaced_images`` meta field of
    the sample that replaced them; this hook collects them from each batch, so it
    works with any number of data-loading workers.
    """

    priority = 'LOW'

    def before_train_epoch(self, runner) -> None:
        self._bad = set()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not data_batch or 'data_samples' not in data_batch:
            return
        samples = data_batch['data_samples']
        flat = [s for item in samples for s in (item if isinstance(item, (list, tuple))
                                                  else [item])]
        for sample in flat:
            self._bad.update(sample.metainfo.get('replaced_images', ()))

    def after_train_epoch(self, runner) -> None:
        bad = getattr(self, '_bad', set())
        if bad:
            runner.logger.log(
                logging.WARNING,
                f'epoch {runner.epoch + 1}: {len(bad)} unreadable training image(s) were replaced '
                f'by other samples: {sorted(bad)[:10]}{" ..." if len(bad) > 10 else ""}')
