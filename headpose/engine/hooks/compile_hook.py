"""Compiles the model's network parts with ``torch.compile`` before training or testing."""

import time
from typing import Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from headpose.models.utils.compile import DEFAULT_PARTS, compile_model
from headpose.registry import HOOKS


@HOOKS.register_module()
class CompileHook(Hook):
    """Applies :func:`~headpose.models.utils.compile.compile_model` to the runner's model.

    It acts in ``before_train`` and ``before_test``, once. Its low priority puts it after
    :class:`InferenceSpeedHook`, so that with ``tools/test.py --fuse-conv-bn`` the folded
    model is what gets compiled. The compilation itself happens in the first iteration
    (and again in the first validation step, eval mode being another graph);
    ``after_train_iter`` and ``after_test_iter`` log how long that first iteration took.
    ``tools/train.py --compile`` and ``tools/test.py --compile`` add this hook.

    Args:
        parts: the submodules to compile (default: backbone and neck).
        backend: ``torch.compile``'s backend.
        **compile_kwargs: other arguments of ``torch.compile`` (``mode``, ``dynamic``).
    """

    priority = 'LOW'

    def __init__(self, parts: Sequence[str] = DEFAULT_PARTS, backend: str = 'inductor',
                 **compile_kwargs):
        self.parts = tuple(parts)
        self.backend = backend
        self.compile_kwargs = compile_kwargs
        self._done = False
        self._first_iter_start = None

    def _compile(self, runner) -> None:
        if not self._done:
            model = runner.model.module if is_model_wrapper(runner.model) else runner.model
            compile_model(model, self.parts, self.backend, **self.compile_kwargs)
            self._done = True
            runner.logger.info(f'torch.compile: {", ".join(self.parts)} (backend '
                               f'{self.backend}); the first iteration compiles them')
        self._first_iter_start = time.perf_counter()

    def _log_first(self, runner, batch_idx: int) -> None:
        if self._first_iter_start is not None:
            runner.logger.info(f'torch.compile: the first iteration took '
                               f'{time.perf_counter() - self._first_iter_start:.1f} s '
                               '(compilation included)')
            self._first_iter_start = None

    def before_train(self, runner) -> None:
        self._compile(runner)

    def before_test(self, runner) -> None:
        self._compile(runner)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._log_first(runner, batch_idx)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._log_first(runner, batch_idx)
