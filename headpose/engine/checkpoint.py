"""Checkpoints that ``torch.load(weights_only=True)`` reads: mmengine's log state made plain.

mmengine saves its message hub (``HistoryBuffer`` objects holding numpy arrays and
bound methods, numpy scalars) into every checkpoint. With torch >= 2.6,
``torch.load`` defaults to ``weights_only=True`` and rejects those objects, so
``--resume`` fails; allowing them would mean trusting ``getattr`` during unpickling,
i.e. arbitrary code. Instead, headpose writes that state as plain lists and numbers
(:func:`plain_message_hub`) and rebuilds the buffers after loading
(:func:`restore_message_hub`); see ``SafeCheckpointHook``.
"""

from typing import Any

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

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


def load_weights(path: str, map_location: str = 'cpu') -> dict:
    """Loads a checkpoint with ``weights_only=True``; an error names the file."""
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError as err:
        raise FileNotFoundError(f'checkpoint not found: {path}') from err
    except Exception as err:  # noqa: BLE001 - re-raised with the file's name
        raise RuntimeError(f'cannot load checkpoint {path} as weights only: {err}') from err
