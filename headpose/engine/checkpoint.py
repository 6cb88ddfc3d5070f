"""Checkpoints: read weights-only, loaded strictly, written atomically; plain log state.

mmengine saves its message hub (``HistoryBuffer`` objects holding numpy arrays and
bound methods, numpy scalars) into every checkpoint. With torch >= 2.6,
``torch.load`` defaults to ``weights_only=True`` and rejects those objects, so
``--resume`` fails; allowing them would mean trusting ``getattr`` during unpickling,
i.e. arbitrary code. Instead, headpose writes that state as plain lists and numbers
(:func:`plain_message_hub`) and rebuilds the buffers after loading
(:func:`restore_message_hub`); see ``SafeCheckpointHook``.
"""

import contextlib
import os
import os.path as osp
import pickle
import shutil
import tempfile
from typing import Any, Sequence, Union

import numpy as np
import torch
from mmengine.fileio import LocalBackend, register_backend
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


class CheckpointMismatchError(RuntimeError):
    """A checkpoint whose weights do not fit the model built from the config."""


def _list_keys(keys: Sequence[str], limit: int = 20) -> str:
    keys = sorted(keys)
    shown = ', '.join(keys[:limit])
    return shown + (f', ... ({len(keys) - limit} more)' if len(keys) > limit else '')


def load_checkpoint_weights(path: str, map_location: Any = 'cpu') -> dict:
    """Reads a checkpoint with ``torch.load(weights_only=True)``; returns the whole dict.

    The one reader of checkpoints: :func:`~headpose.apis.init_model`, ``tools/test.py``,
    ``load_from`` and ``--resume`` (through :class:`~headpose.engine.HeadPoseRunner`) all
    use it. headpose's checkpoints keep their log state as plain numbers and lists (see
    :func:`plain_message_hub`); any pickled object other than tensors and plain
    containers is refused rather than unpickled.

    Raises:
        FileNotFoundError: no such file.
        RuntimeError: the file is not a checkpoint or holds non-weight objects.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise RuntimeError(
            f'cannot load checkpoint {path}: it holds objects other than weights, and '
            'headpose never unpickles arbitrary objects (torch.load(weights_only=True)). '
            f'Save only the state_dict (and plain meta data). Details: {err}') from err
    except Exception as err:  # e.g. a truncated or non-torch file
        raise RuntimeError(f'cannot read checkpoint {path}: {err}') from err
    if not isinstance(ckpt, dict):
        raise RuntimeError(f'checkpoint {path} holds a {type(ckpt).__name__}, not a dict of '
                           'weights or a dict with a "state_dict"')
    return ckpt


def state_dict_of(ckpt: dict, path: str) -> dict:
    """The model weights of a checkpoint dict (its ``state_dict``, ``model`` or itself),
    without a DDP wrapper's ``module.`` prefix."""
    for key in ('state_dict', 'model'):
        if isinstance(ckpt.get(key), dict):
            ckpt = ckpt[key]
            break
    if not all(isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise RuntimeError(f'checkpoint {path} has no "state_dict" of tensors '
                           f'(top-level keys: {_list_keys(list(ckpt))})')
    if ckpt and all(k.startswith('module.') for k in ckpt):  # saved from a DDP wrapper
        ckpt = {k[len('module.'):]: v for k, v in ckpt.items()}
    return ckpt


def load_state_strictly(model: torch.nn.Module, ckpt: dict, path: str) -> None:
    """Loads a checkpoint dict's weights into ``model``, refusing any mismatch.

    Raises:
        CheckpointMismatchError: listing missing keys, unexpected keys and keys whose
            shapes differ, when the checkpoint does not fit the model.
    """
    state = state_dict_of(ckpt, path)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f'{k} (checkpoint {tuple(state[k].shape)}, model {tuple(own[k].shape)})'
              for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        lines = [f'checkpoint {path} does not match the model of the config '
                 f'({type(model).__name__}):']
        if missing:
            lines.append(f'  missing keys ({len(missing)}): {_list_keys(missing)}')
        if unexpected:
            lines.append(f'  unexpected keys ({len(unexpected)}): {_list_keys(unexpected)}')
        if shapes:
            lines.append(f'  shape mismatches ({len(shapes)}): {_list_keys(shapes)}')
        lines.append('  Was the checkpoint trained with this config (same backbone depth, '
                     'head and codec)?')
        raise CheckpointMismatchError('\n'.join(lines))
    model.load_state_dict(state, strict=True)


def load_model_weights(model: torch.nn.Module, checkpoint: str) -> dict:
    """Loads ``checkpoint`` into ``model`` strictly; returns the checkpoint's ``meta``.

    Raises:
        FileNotFoundError: no such file.
        CheckpointMismatchError: the checkpoint does not fit the model (see
            :func:`load_state_strictly`).
    """
    ckpt = load_checkpoint_weights(checkpoint)
    load_state_strictly(model, ckpt, checkpoint)
    meta = ckpt.get('meta')
    return meta if isinstance(meta, dict) else {}


def write_atomically(data: bytes, path: str) -> None:
    """Writes ``data`` to ``path`` so that ``path`` is either complete or untouched.

    The bytes go to a hidden temporary file in the same folder, are flushed and
    fsynced, then renamed over ``path`` (atomic on POSIX file systems); the folder is
    fsynced so that the rename survives a crash. A process killed mid-write leaves at
    most a ``.NAME.*.tmp`` file, never a truncated file under the final name.

    Raises:
        OSError: naming ``path``, the size to write and the free space in its folder
            (e.g. a full disk); the temporary file is removed.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        free = shutil.disk_usage(folder).free
        raise OSError(err.errno, f'cannot write {path} ({len(data) / 2**20:.1f} MiB; '
                      f'{free / 2**20:.1f} MiB free in {folder}): '
                      f'{err.strerror or err}') from err
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    with contextlib.suppress(OSError):  # not every file system can fsync a folder
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


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
