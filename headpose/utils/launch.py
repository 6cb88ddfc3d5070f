"""What the tools share: config loading with overrides, CPU distributed set-up, work dirs."""

import argparse
import contextlib
import difflib
import json
import numbers
import os
import os.path as osp
import shutil
import socket
import sys
import time
from typing import List, Optional, Sequence

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.config import Config, DictAction

from .checkpoint_io import remove_stale_temp_files, write_atomically
from .malloc import apply_malloc_cfg


class CfgOptionsAction(DictAction):
    """``--cfg-options KEY=VALUE ...`` parsed as mmengine's ``DictAction`` does, but an
    item without ``=`` is a usage error that names the item (not a raw traceback)."""

    def __call__(self, parser, namespace, values, option_string=None):
        for item in values:
            if '=' not in item or item.startswith('='):
                parser.error(f'{option_string}: {item!r} is not KEY=VALUE (e.g. '
                             'train_cfg.max_epochs=2)')
        super().__call__(parser, namespace, values, option_string)


def check_cfg_options(cfg: Config, cfg_options: dict) -> dict:
    """Checks ``--cfg-options`` against the config they change; returns them ready to merge.

    A top-level key the config does not have is almost always a typo
    (``trian_cfg.max_epochs=1`` would add a ``trian_cfg`` that nothing reads): it is an
    error naming the key and the closest known one, unless it is marked as new with a
    ``+`` (``+my_setting=1``). A value that replaces a number with text
    (``train_cfg.max_epochs=two``) is an error naming the key.

    Raises:
        ValueError: naming the key.
    """
    out = {}
    for key, value in cfg_options.items():
        new = key.startswith('+')
        key = key[1:] if new else key
        top = key.split('.')[0]
        if not new and top not in cfg:
            close = difflib.get_close_matches(top, list(cfg.keys()), n=1)
            hint = f'; did you mean {close[0]!r}?' if close else ''
            raise ValueError(f'--cfg-options {key}: the config has no top-level key {top!r}'
                             f'{hint} (write +{key}=... to add a new key)')
        if not new:
            old = _lookup(cfg, key)
            if isinstance(old, numbers.Number) and not isinstance(old, bool) and \
                    isinstance(value, str):
                raise ValueError(f'--cfg-options {key}: expects a number (the config has '
                                 f'{old!r}), got {value!r}')
        out[key] = value
    return out


_MISSING = object()

#: Which registries build the typed dicts under a top-level config key (first match wins).
_CONSUMER_REGISTRIES = {
    'default_hooks': ('HOOKS', ), 'custom_hooks': ('HOOKS', ),
    'model': ('MODELS', 'TASK_UTILS'), 'model_wrapper_cfg': ('MODEL_WRAPPERS', ),
    'train_dataloader': ('DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS'),
    'val_dataloader': ('DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS'),
    'test_dataloader': ('DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS'),
    'val_evaluator': ('METRICS', 'EVALUATOR'), 'test_evaluator': ('METRICS', 'EVALUATOR'),
    'optim_wrapper': ('OPTIM_WRAPPERS', 'OPTIMIZERS', 'OPTIM_WRAPPER_CONSTRUCTORS'),
    'param_scheduler': ('PARAM_SCHEDULERS', ),
    'train_cfg': ('LOOPS', ), 'val_cfg': ('LOOPS', ), 'test_cfg': ('LOOPS', ),
    'visualizer': ('VISUALIZERS', 'VISBACKENDS'), 'log_processor': ('LOG_PROCESSORS', ),
}


def _forwarded_kwargs(cls) -> Optional[tuple]:
    """For a class whose ``__init__`` takes ``**kwargs`` and hands them on to a known
    consumer: ``(consumer's name, the keyword names it accepts)``; else ``None``.

    mmengine's ``CheckpointHook`` passes unknown options to ``runner.save_checkpoint()``
    at the first save, after a whole interval of training; that call already passes every
    keyword ``save_checkpoint`` takes, so no other option can work.
    """
    from mmengine.hooks import CheckpointHook
    if isinstance(cls, type) and issubclass(cls, CheckpointHook):
        return 'runner.save_checkpoint()', ()
    return None


def _resolve_type(top: str, type_name):
    """The class (or function) a typed config dict under ``top`` builds, or ``None``."""
    if not isinstance(type_name, str):
        return type_name if callable(type_name) else None
    from headpose import registry
    for name in _CONSUMER_REGISTRIES.get(top, ()):
        try:
            found = getattr(registry, name).get(type_name)
        except Exception:  # a registry that cannot import its location here
            found = None
        if found is not None:
            return found
    return None


def check_option_consumers(cfg: Config, keys: Sequence[str], before: Config) -> None:
    """Checks each new ``--cfg-options`` key against what will consume it.

    For a key below a dict with a ``type`` (a hook, model part, data set, transform,
    metric, optimizer, loop, ...), the option that dict gains must be a parameter of
    the type's ``__init__``; a type that takes ``**kwargs`` accepts any, unless it is
    known to hand them on (``CheckpointHook`` to ``runner.save_checkpoint()``). Keys the
    config had before are not checked (its author wrote them), nor keys whose type
    cannot be resolved here. Without this, ``default_hooks.checkpoint.intervall=1``
    trained a whole interval and died at the first save with nothing saved.

    Args:
        cfg: the config with the options merged.
        keys: the dotted keys of the options (without ``+``).
        before: the config as read from its file.

    Raises:
        ValueError: naming the key, the type, the closest parameter and the parameters.
    """
    import inspect
    for key in keys:
        parts = key.split('.')
        node, typed, depth = cfg, None, None
        for i, part in enumerate(parts[:-1]):
            node = _child(node, part)
            if node is _MISSING:
                break
            if isinstance(node, dict) and 'type' in node:
                typed, depth = node, i + 1
        if typed is None or _lookup_or_missing(before, '.'.join(parts[:depth + 1])) \
                is not _MISSING:
            continue
        option = parts[depth]
        cls = _resolve_type(parts[0], typed['type'])
        if cls is None:
            continue
        try:
            params = inspect.signature(cls).parameters
        except (TypeError, ValueError):
            continue
        names = [n for n, p in params.items()
                 if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if option in names:
            continue
        forwarded = _forwarded_kwargs(cls)
        if any(p.kind == p.VAR_KEYWORD for p in params.values()):
            if forwarded is None or option in forwarded[1]:
                continue
        type_name = getattr(cls, '__name__', str(cls))
        close = difflib.get_close_matches(option, names, n=1)
        also = (f' (it hands other options to {forwarded[0]}, which takes none of them)'
                if forwarded else '')
        hint = f' (did you mean {close[0]!r}?)' if close else ''
        known = f'its options: {", ".join(names)}' if names else 'it takes no options'
        raise ValueError(f'--cfg-options {key}: {type_name} takes no option {option!r}'
                         f'{hint}{also}; {known}')


def _child(node, part: str):
    """``node[part]`` of a config dict or list, or ``_MISSING``."""
    if isinstance(node, (dict, Config)) and part in node:
        return node[part]
    if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    return _MISSING


def _lookup_or_missing(cfg: Config, key: str):
    """The config's value at a dotted ``key``, or ``_MISSING``."""
    node = cfg
    for part in key.split('.'):
        node = _child(node, part)
        if node is _MISSING:
            break
    return node


def _lookup(cfg: Config, key: str):
    """The config's value at a dotted ``key``, or ``None`` if it is not there."""
    node = cfg
    for part in key.split('.'):
        if isinstance(node, (dict, Config)) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Reads a config file (an error names it if absent) and merges ``--cfg-options``
    (checked by :func:`check_cfg_options` and :func:`check_option_consumers`)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    if cfg_options:
        options = check_cfg_options(cfg, cfg_options)
        before = cfg.copy()
        cfg.merge_from_dict(options)
        check_option_consumers(cfg, list(options), before)
    return cfg


def parse_tool_args(parser: argparse.ArgumentParser, argv: Optional[Sequence[str]],
                    example: str) -> argparse.Namespace:
    """Adds the arguments every tool shares (``--cfg-options``, ``--launcher``,
    ``--local_rank``), parses, and exports ``LOCAL_RANK``."""
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help=f'override config settings, e.g. {example}; a top-level key '
                        'the config lacks is an error unless marked new: +KEY=VALUE')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def tool_config(args: argparse.Namespace) -> Config:
    """The config of a train/test run: ``--cfg-options`` merged, launcher and work dir set
    (``--work-dir``, else the config's, else ``work_dirs/CONFIG_NAME``).

    Raises:
        SystemExit: naming the config file or the ``--cfg-options`` key at fault.
    """
    try:
        cfg = load_config(args.config, args.cfg_options)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f'error: {err}') from err
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


def pin_memory_on_gpu(cfg: Config) -> None:
    """With a CUDA GPU, the dataloaders pin their batches' memory unless the config
    says otherwise (``pin_memory``): the copies to the GPU are then asynchronous.
    Without a GPU, pinning would only cost time; nothing changes."""
    if not torch.cuda.is_available():
        return
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key) is not None:
            cfg[key].setdefault('pin_memory', True)


def set_sharing_strategy(strategy: Optional[str]) -> None:
    """Sets how dataloader workers hand tensors to the main process
    (``env_cfg.sharing_strategy``; ``None`` keeps torch's default).

    With ``'file_descriptor'`` (torch's default on Linux) every tensor of a batch costs
    the main process a socket round trip to the worker to receive its descriptor;
    ``'file_system'`` opens a shared-memory file by name instead. Batches of many small
    tensors (a detector's boxes, labels and rotations per image) arrive faster.
    """
    if strategy is None:
        return
    allowed = sorted(mp.get_all_sharing_strategies())
    if strategy not in allowed:
        raise ValueError(f'env_cfg.sharing_strategy: {strategy!r} is not one of this '
                         f'platform\'s strategies {allowed}')
    mp.set_sharing_strategy(strategy)


def setup_run(cfg: Config, launcher: str) -> None:
    """What ``tools/train.py`` and ``tools/test.py`` do before building the runner:
    the CPU launcher set-up, pinned memory on a GPU, ``env_cfg.malloc_cfg`` and
    ``env_cfg.sharing_strategy``."""
    setup_cpu_distributed(cfg, launcher)
    pin_memory_on_gpu(cfg)
    env_cfg = cfg.get('env_cfg', {})
    apply_malloc_cfg(env_cfg.get('malloc_cfg'))
    set_sharing_strategy(env_cfg.get('sharing_strategy'))


def setup_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Makes a launcher work on a machine without CUDA.

    mmengine's ``pytorch`` launcher calls ``torch.cuda.set_device`` and its DDP
    wrapper passes ``device_ids``; both fail on a CPU. Here the process group is
    initialised with gloo from torchrun's (or SLURM's) environment, and the model is
    wrapped by ``HeadPoseDistributedDataParallel``, which leaves ``device_ids`` out.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher == 'slurm' and 'RANK' not in os.environ:
        os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
        os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
        os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
        os.environ.setdefault('MASTER_PORT', os.environ.get('PORT', '29500'))
        os.environ.setdefault('MASTER_ADDR', 'localhost')
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or {}
    wrapper['type'] = 'headpose.HeadPoseDistributedDataParallel'  # the root registry looks it up
    cfg.model_wrapper_cfg = wrapper


def finish_distributed(exit_process: bool = True) -> None:
    """Ends a distributed run: every process waits for the others, destroys its process
    group, and ends without finalizing the interpreter. Call it once the run has
    succeeded (after a failure the peers may never reach the barrier); in a distributed
    run it does not return (``exit_process=False`` stops after the destroy, for tests).

    Why the process ends this way: gloo's worker threads (``pt_gloo_runloop``, two per
    ``ProcessGroupGloo``) drop a finished collective (``AsyncWork``) at the end of their
    loop, after the caller has been woken. When that work holds tensors made in Python
    (the all-gathers and broadcasts of validation, ``broadcast_object_list``), dropping
    it decrefs their Python objects, which takes the GIL. On a busy machine the worker
    runs that last step late: if the main thread has meanwhile returned from the script
    and the interpreter is finalizing, ``take_gil`` ends the worker with
    ``pthread_exit``, whose forced unwinding crosses the ``noexcept`` destructor
    ``~AsyncWork`` and calls ``std::terminate``: "terminate called without an active
    exception", SIGABRT, after training and validation had finished (native backtrace:
    ``ProcessGroupGloo::runLoop -> ~AsyncBroadcastWork -> ~AsyncWork ->
    TensorImpl::decref_pyobject -> gil_scoped_acquire -> take_gil ->
    PyThread_exit_thread -> _Unwind_ForcedUnwind -> std::terminate``).
    ``destroy_process_group`` does not stop those threads (gloo has no ``shutdown``, and
    DistributedDataParallel keeps references to the group that outlive it), so the
    barrier before it made the abort rarer, never impossible. The fix is at the end
    where it arises: with the run's files written, the atexit handlers run (log files,
    data loader workers) and the standard streams flushed, the process leaves with
    ``os._exit(0)``; the interpreter is never finalized while a gloo thread may still
    need it.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    dist.barrier()
    dist.destroy_process_group()
    if not exit_process:
        return
    import atexit
    import logging
    atexit._run_exitfuncs()  # what a normal exit runs first: log files, worker processes
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def archive_previous_run(work_dir: str) -> Optional[str]:
    """Moves checkpoints of an earlier run in ``work_dir`` aside instead of overwriting them.

    The archived ``last_checkpoint`` is rewritten to name the archived file (it named
    ``WORK_DIR/epoch_N.pth``, which the new run is about to write), so that
    ``--resume PREVIOUS_RUN/epoch_N.pth`` or a look at it finds the right file.

    Returns the archive folder, or ``None`` when there was nothing to keep.
    """
    if not osp.isdir(work_dir):
        return None
    names = [n for n in os.listdir(work_dir) if n.endswith('.pth') or n == 'last_checkpoint']
    if not names:
        return None
    stamp = time.strftime('%Y%m%d_%H%M%S')
    dest = osp.join(work_dir, 'previous_runs', stamp)
    for k in range(2, 1000):  # two archives in one second keep their own folders
        if not osp.exists(dest):
            break
        dest = osp.join(work_dir, 'previous_runs', f'{stamp}_{k}')
    os.makedirs(dest)
    for name in names:
        shutil.move(osp.join(work_dir, name), osp.join(dest, name))
    pointer = osp.join(dest, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer, encoding='utf-8') as f:
            named = f.read().strip()
        if osp.basename(named) in names:
            write_atomically(osp.join(osp.abspath(dest), osp.basename(named)).encode(), pointer)
    return dest


def start_notes(work_dir: str) -> List[str]:
    """Clears what killed runs left in ``work_dir`` and says what was done.

    Removes the hidden temporary files of checkpoint saves that never finished (a run
    killed with ``kill -9`` while writing ``epoch_N.pth`` leaves ``.epoch_N.pth.XXXX.tmp``,
    up to a whole checkpoint). Call it only while owning the work dir
    (:class:`WorkDirLock`): a live run's save in progress must not be touched.

    Returns:
        One message per removed file, for the log.
    """
    return [f'removed {osp.basename(path)} ({size / 2**20:.1f} MiB) from {work_dir}: the '
            'temporary file of a checkpoint save that never finished (a run killed while '
            'saving)' for path, size in remove_stale_temp_files(work_dir)]


LOCK_NAME = 'work_dir.lock'


class WorkDirLock:
    """Makes a training run the only owner of its work dir while it runs.

    The lock is the file ``WORK_DIR/work_dir.lock`` holding the owner's pid, host,
    start time and command line, created atomically (written to a temporary name, then
    hard-linked to the final one, which fails if it exists). Without it, two runs
    started together in one work dir shared a log folder, mixed their scalars and
    overwrote each other's checkpoints without a word. A lock whose owner is a dead
    process on this host (a run killed with ``kill -9``) is stale: it is taken over
    with a message. Use it as a context manager; it is released on success and on
    failure. Only rank 0 of a distributed run takes it (``tools/train.py``).

    Args:
        work_dir: the folder to own (created if needed).

    Raises:
        SystemExit: another live run owns ``work_dir``; the message names it.
    """

    def __init__(self, work_dir: str):
        self.work_dir = work_dir
        self.path = osp.join(work_dir, LOCK_NAME)
        self.owner = dict(pid=os.getpid(), host=socket.gethostname(),
                          start=time.strftime('%Y-%m-%d %H:%M:%S %z'),
                          command=' '.join(sys.argv))
        self.held = False

    def _read(self) -> Optional[dict]:
        try:
            with open(self.path, encoding='utf-8') as f:
                return json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}

    def _is_stale(self, owner: dict) -> bool:
        if owner.get('host') != socket.gethostname() or not isinstance(owner.get('pid'), int):
            return False  # a run on another machine: cannot tell, so it is alive
        try:
            os.kill(owner['pid'], 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, another user's
            return False
        return False

    def acquire(self) -> 'WorkDirLock':
        """Takes the lock (see the class docstring); returns ``self``."""
        os.makedirs(self.work_dir, exist_ok=True)
        tmp = f'{self.path}.{os.getpid()}.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(self.owner, f)
        try:
            for _ in range(3):
                try:
                    os.link(tmp, self.path)
                    self.held = True
                    return self
                except FileExistsError:
                    pass
                owner = self._read()
                if owner is None:  # released meanwhile: try again
                    continue
                if not self._is_stale(owner):
                    who = (f'pid {owner.get("pid")} on {owner.get("host")}, started '
                           f'{owner.get("start")}: {owner.get("command")}' if owner
                           else 'an unreadable lock file')
                    raise SystemExit(
                        f'error: work dir {self.work_dir} is in use by another run ({who}). '
                        f'Wait for it, choose another --work-dir, or delete {self.path} '
                        'if that run is gone.')
                print(f'warning: taking over the stale lock of work dir {self.work_dir}: its '
                      f'owner, pid {owner["pid"]} on {owner["host"]} (started '
                      f'{owner.get("start")}), is no longer running', file=sys.stderr)
                stale = f'{self.path}.stale.{os.getpid()}'
                try:
                    os.rename(self.path, stale)
                    os.remove(stale)
                except FileNotFoundError:
                    pass  # another run took it over first; the next link decides
            raise SystemExit(f'error: could not take the lock {self.path}')
        finally:
            os.remove(tmp)

    def release(self) -> None:
        """Removes the lock file if this process still owns it."""
        if not self.held:
            return
        self.held = False
        owner = self._read()
        if owner and owner.get('pid') == self.owner['pid'] and \
                owner.get('host') == self.owner['host']:
            os.remove(self.path)

    def __enter__(self) -> 'WorkDirLock':
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
