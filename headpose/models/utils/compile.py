"""``torch.compile`` for a model's network parts, with a clear error where it cannot work."""

import os
import shutil
from typing import Optional, Sequence

import torch.nn as nn

#: The parts that :func:`compile_model` compiles when they exist: the convolutional trunk
#: that holds nearly all of the FLOPs. Heads stay eager: they own the losses and the
#: decoding, whose Python-side logic would only break the graphs.
DEFAULT_PARTS = ('backbone', 'neck')


def find_cxx() -> Optional[str]:
    """The C++ compiler that inductor's CPU backend would use, or None if none is found.

    ``$CXX`` if set, else the first of g++, c++ and clang++ on ``PATH``.
    """
    names = [os.environ['CXX']] if os.environ.get('CXX') else ['g++', 'c++', 'clang++']
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def compile_model(model: nn.Module, parts: Sequence[str] = DEFAULT_PARTS,
                  backend: str = 'inductor', **compile_kwargs) -> nn.Module:
    """Compiles ``model``'s ``parts`` in place with ``nn.Module.compile``.

    In place, the parameters, the state dict's keys and the checkpoints stay what they
    are in eager mode; only the parts' forward passes (and their backward passes, when
    training) run as compiled code. The first call of each part compiles it (seconds to
    minutes on a CPU); a change of input shape, of train/eval mode or of memory format
    compiles again.

    Args:
        model: a built model (unwrapped).
        parts: names of the submodules to compile; those the model lacks (or that are
            None) are skipped, but at least one must exist.
        backend: ``torch.compile``'s backend. ``inductor`` (the default) generates C++
            on a CPU and needs a C++ compiler.
        **compile_kwargs: other arguments of ``torch.compile`` (``mode``, ``dynamic``).

    Returns:
        The same model object.

    Raises:
        RuntimeError: the backend is inductor, the model is on the CPU and no C++
            compiler is found; or none of ``parts`` exists in the model.
    """
    on_cpu = all(p.device.type == 'cpu' for p in model.parameters())
    if backend == 'inductor' and on_cpu and find_cxx() is None:
        raise RuntimeError(
            'torch.compile (backend inductor) needs a C++ compiler to run a model on the '
            'CPU, and none was found ($CXX is unset and neither g++, c++ nor clang++ is '
            'on PATH). Install one (e.g. `apt-get install g++`), set CXX, or run without '
            '--compile.')
    found = [name for name in parts if getattr(model, name, None) is not None]
    if not found:
        raise RuntimeError(f'compile_model: {type(model).__name__} has none of the parts '
                           f'{list(parts)} to compile')
    for name in found:
        getattr(model, name).compile(backend=backend, **compile_kwargs)
    return model


def is_compiled(module: nn.Module) -> bool:
    """Whether ``nn.Module.compile`` was called on ``module``."""
    return getattr(module, '_compiled_call_impl', None) is not None


__all__ = ['DEFAULT_PARTS', 'compile_model', 'find_cxx', 'is_compiled']
