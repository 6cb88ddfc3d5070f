"""Keep glibc's malloc from handing every training step's activations back to the kernel.

PyTorch's CPU tensors come straight from ``malloc``. glibc serves blocks above its
mmap threshold (128 KiB at start, raised on the fly up to 32 MiB) with fresh ``mmap``
pages and returns freed memory at the top of the heap once more than the trim threshold
is free. A training step frees most of its activations and gradients and allocates them
again in the next step, so with the defaults a good part of every step is page faults:
the kernel maps and zeroes the same memory again and again (``sys`` time). Raising
both thresholds keeps the memory in the process, where the next step reuses it;
``mmap_max=0`` also serves the blocks above 32 MiB (the first layers' activations at
batch 16 and 224 x 224) from the heap. This is what ``env_cfg.malloc_cfg`` in the
configs sets (see docs/benchmarks.md).
"""

import ctypes
import ctypes.util
import logging
from typing import Optional

from mmengine.logging import print_log

# mallopt parameters, from glibc's malloc.h
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_MMAP_MAX = -4
# glibc refuses mmap thresholds above HEAP_MAX_SIZE / 2 (32 MiB on 64-bit systems)
MAX_MMAP_THRESHOLD = 32 * 1024 * 1024


def _libc() -> Optional[ctypes.CDLL]:
    name = ctypes.util.find_library('c')
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, 'mallopt') and hasattr(libc, 'gnu_get_libc_version') \
        else None


def tune_malloc(mmap_threshold: int = MAX_MMAP_THRESHOLD, trim_threshold: int = 1024**3,
                mmap_max: Optional[int] = None) -> bool:
    """Sets glibc's mmap and trim thresholds (bytes) for this process.

    ``mmap_max`` (if given) caps the number of blocks served by ``mmap``; 0 serves every
    block from the heap.

    Returns ``True`` when glibc accepted every setting; ``False`` (and a logged note) where the C
    library is not glibc, e.g. on macOS, Windows or musl, where nothing is changed.

    Raises:
        ValueError: a threshold outside what glibc accepts (the message names it).
    """
    if not 0 < mmap_threshold <= MAX_MMAP_THRESHOLD:
        raise ValueError(f'malloc_cfg.mmap_threshold must be in (0, {MAX_MMAP_THRESHOLD}] '
                         f'bytes (glibc\'s limit), got {mmap_threshold}')
    if not 0 < trim_threshold < 2**63:
        raise ValueError(f'malloc_cfg.trim_threshold must be a positive number of bytes, '
                         f'got {trim_threshold}')
    if mmap_max is not None and not 0 <= mmap_max < 2**31:
        raise ValueError(f'malloc_cfg.mmap_max must be an int in [0, 2**31), got {mmap_max}')
    libc = _libc()
    if libc is None:
        print_log('malloc_cfg: the C library is not glibc; malloc is left as it is',
                  logger='current', level=logging.INFO)
        return False
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    # mallopt takes an int: thresholds above 2 GiB are capped there
    ok = libc.mallopt(M_MMAP_THRESHOLD, int(mmap_threshold)) == 1
    ok = libc.mallopt(M_TRIM_THRESHOLD, int(min(trim_threshold, 2**31 - 1))) == 1 and ok
    if mmap_max is not None:
        ok = libc.mallopt(M_MMAP_MAX, int(mmap_max)) == 1 and ok
    return ok


def apply_malloc_cfg(malloc_cfg: Optional[dict]) -> bool:
    """``tune_malloc(**malloc_cfg)``; ``None`` or ``{}`` leaves malloc alone."""
    if not malloc_cfg:
        return False
    unknown = set(malloc_cfg) - {'mmap_threshold', 'trim_threshold', 'mmap_max'}
    if unknown:
        raise ValueError(f'env_cfg.malloc_cfg: unknown keys {sorted(unknown)}; expected '
                         'mmap_threshold, trim_threshold (bytes) and/or mmap_max')
    applied = tune_malloc(**malloc_cfg)
    if applied:
        print_log(f'env_cfg.malloc_cfg applied: {dict(malloc_cfg)}', logger='current',
                  level=logging.INFO)
    return applied
