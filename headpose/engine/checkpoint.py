"""Checkpoints in the engine: the plain message hub state and the atomic file backend.

mmengine saves its message hub (``HistoryBuffer`` objects holding numpy arrays and
bound methods, numpy scalars) into every checkpoint. With torch >= 2.6,
``torch.load`` defaults to ``weights_only=True`` and rejects those objects, so
``--resume`` fails; allowing them would mean trusting ``getattr`` during unpickling,
i.e. arbitrary code. Instead, headpose writes that state as plain lists and numbers
(:func:`plain_message_hub`) and rebuilds the buffers after loading
(:func:`restore_message_hub`); see ``SafeCheckpointHook``.
"""

import os
from typing import Any, Union

import numpy as np
from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import HistoryBuffer

# Reading, strict loading and atomic writing live below the engine (the apis and the data
# sets use them without importing the training engine); re-exported here for old imports.
from headpose.utils.checkpoint_io import (  # noqa: F401
    CheckpointMismatchError,
    load_checkpoint_weights,
    load_model_weights,
    load_state_strictly,
    state_dict_of,
    write_atomically,
)

_BUFFER_TAG = '__history_buffer__'


def to_plain(value: Any) -> Any:
    """Numpy scalars and arrays -> Python numbers and lists, recursively."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_plain(v) for v in value)
    return value


def plain_message_hub(state: dict) -> dict:
    """A message hub ``state_dict`` with its buffers as plain dicts (weights_only safe)."""
    scalars = {}
    for key, buf in state.get('log_scalars', {}).items():
        if isinstance(buf, HistoryBuffer):
            log, count = buf.data
            scalars[key] = {_BUFFER_TAG: True, 'log_history': to_plain(log),
                            'count_history': to_plain(count), 'max_length': buf.max_length}
        else:
            scalars[key] = to_plain(buf)
    out = dict(state)
    out['log_scalars'] = scalars
    out['runtime_info'] = to_plain(dict(state.get('runtime_info', {})))
    out['resumed_keys'] = dict(state.get('resumed_keys', {}))
    return out


def restore_message_hub(state: dict) -> dict:
    """The inverse of :func:`plain_message_hub`: rebuilds the ``HistoryBuffer`` objects."""
    out = dict(state)
    scalars = {}
    for key, value in state.get('log_scalars', {}).items():
        if isinstance(value, dict) and value.get(_BUFFER_TAG):
            scalars[key] = HistoryBuffer(np.asarray(value['log_history']),
                                         np.asarray(value['count_history']),
                                         value['max_length'])
        else:
            scalars[key] = value
    out['log_scalars'] = scalars
    return out


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend, writing files with :func:`write_atomically`.

    :class:`~headpose.engine.HeadPoseRunner` saves checkpoints (and ``last_checkpoint``)
    through it, so a checkpoint under its final name is always complete.
    """

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        write_atomically(obj, str(filepath))

    def put_text(self, obj: str, filepath: Union[str, os.PathLike],
                 encoding: str = 'utf-8') -> None:
        write_atomically(obj.encode(encoding), str(filepath))


register_backend('headpose_atomic', AtomicLocalBackend, force=True)
