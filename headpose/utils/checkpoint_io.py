"""Checkpoint files, below the engine: weights-only reading, strict loading, atomic writing.

The one place where headpose reads and writes checkpoint-like files: the apis
(:func:`~headpose.apis.init_model`), the data sets (the annotation cache) and the engine
(:class:`~headpose.engine.HeadPoseRunner`) all use it, and importing it pulls in neither
the training engine nor the models. It also knows the names it writes, so that a run can
find what an earlier, killed run left behind (:func:`stale_temp_files`) and the newest
complete checkpoint of a work dir (:func:`latest_checkpoint`).
"""

import contextlib
import os
import os.path as osp
import pickle
import re
import shutil
import tempfile
import zipfile
from typing import Any, List, Optional, Sequence, Tuple

import torch


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


# The hidden temporary name of write_atomically: '.NAME.' + mkstemp's 8 random characters
# + '.tmp'.
_TEMP_RE = re.compile(r'^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$')


def stale_temp_files(folder: str) -> List[str]:
    """The temporary files :func:`write_atomically` left in ``folder`` (not recursive).

    Such a file exists only while a write is under way, or after the writing process was
    killed (``kill -9`` during a checkpoint save): call this only when no other process
    can be writing into ``folder``, e.g. while holding its work dir lock.

    Returns:
        Their paths, sorted by name.
    """
    if not osp.isdir(folder):
        return []
    return sorted(osp.join(folder, n) for n in os.listdir(folder)
                  if _TEMP_RE.match(n) and osp.isfile(osp.join(folder, n)))


def remove_stale_temp_files(folder: str) -> List[Tuple[str, int]]:
    """Removes :func:`stale_temp_files`; returns ``(path, size in bytes)`` of each removed.

    The same caveat holds: only where no other process can be writing into ``folder``.
    """
    removed = []
    for path in stale_temp_files(folder):
        with contextlib.suppress(FileNotFoundError):
            size = os.path.getsize(path)
            os.remove(path)
            removed.append((path, size))
    return removed


def checkpoint_problem(path: str) -> Optional[str]:
    """Why ``path`` is not a complete checkpoint file, or ``None`` if it is one.

    Reads only the zip directory at the end of the file (``torch.save``'s format), so a
    checkpoint of any size is checked in milliseconds: a file cut short has none.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (OSError, zipfile.BadZipFile) as err:
        return f'not a complete torch.save file ({err})'
    if not any(n.endswith('/data.pkl') or n == 'data.pkl' for n in names):
        return 'a zip file without the data.pkl of torch.save'
    return None


def latest_checkpoint(work_dir: str, prefix: str = 'epoch') -> Tuple[Optional[str], str]:
    """The newest complete ``PREFIX_N.pth`` of ``work_dir`` (the largest N), as mmengine's
    ``CheckpointHook`` names them (``epoch_N.pth`` or ``iter_N.pth``).

    Incomplete files (see :func:`checkpoint_problem`) are passed over.

    Returns:
        ``(path, '')``, or ``(None, why)``: a sentence that says what was looked for and
        what was found instead (no such file, only incomplete ones, files of the other
        loop kind).
    """
    pattern = re.compile(rf'^{re.escape(prefix)}_(\d+)\.pth$')
    names = os.listdir(work_dir) if osp.isdir(work_dir) else []
    found = sorted(((int(m.group(1)), n) for n in names if (m := pattern.match(n))),
                   reverse=True)
    skipped = []
    for _, name in found:
        path = osp.join(work_dir, name)
        problem = checkpoint_problem(path)
        if problem is None:
            return path, ''
        skipped.append(f'{name}: {problem}')
    if skipped:
        return None, (f'no complete {prefix}_N.pth in {work_dir}: ' + '; '.join(skipped))
    others = sorted(n for n in names if n.endswith('.pth'))
    hint = f' (it has {", ".join(others[:5])})' if others else ''
    if not osp.isdir(work_dir):
        return None, f'{work_dir} does not exist'
    return None, f'{work_dir} has no last_checkpoint file and no {prefix}_N.pth{hint}'
