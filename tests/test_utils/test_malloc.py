"""env_cfg.malloc_cfg: glibc's thresholds really change where big blocks come from."""

import subprocess
import sys
import textwrap

import pytest

from headpose.utils import malloc

# A child process reports how many blocks glibc serves by mmap (mallinfo2().hblks) before
# and after allocating SIZE bytes with malloc, after apply_malloc_cfg(CFG).
CHILD = textwrap.dedent('''
    import ctypes, sys
    from headpose.utils.malloc import apply_malloc_cfg

    class MallInfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in (
            'arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks', 'fsmblks',
            'uordblks', 'fordblks', 'keepcost')]

    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = MallInfo2
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    applied = apply_malloc_cfg(eval(sys.argv[1]))
    before = libc.mallinfo2().hblks
    block = libc.malloc(int(sys.argv[2]))
    after = libc.mallinfo2().hblks
    libc.free(block)
    print(applied, after - before)
''')

glibc_only = pytest.mark.skipif(malloc._libc() is None or not sys.platform.startswith('linux'),
                                reason='needs glibc')


def mmapped_blocks(cfg, size):
    # the last line: the log of apply_malloc_cfg may come before it
    out = subprocess.run([sys.executable, '-c', CHILD, repr(cfg), str(size)], check=True,
                         capture_output=True, text=True).stdout.splitlines()[-1].split()
    return out[0] == 'True', int(out[1])


@glibc_only
def test_thresholds_move_big_blocks_from_mmap_to_the_heap():
    mib = 1024**2
    # glibc's defaults: 16 MiB and 64 MiB blocks are mmapped (a fresh process)
    assert mmapped_blocks(None, 16 * mib) == (False, 1)
    assert mmapped_blocks(None, 64 * mib) == (False, 1)
    # a 32 MiB threshold serves the 16 MiB block from the heap, not the 64 MiB one
    cfg = dict(mmap_threshold=32 * mib, trim_threshold=1024**3)
    assert mmapped_blocks(cfg, 16 * mib) == (True, 0)
    assert mmapped_blocks(cfg, 64 * mib) == (True, 1)
    # mmap_max=0: nothing is mmapped
    assert mmapped_blocks(dict(cfg, mmap_max=0), 64 * mib) == (True, 0)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match='mmap_threshold'):
        malloc.tune_malloc(mmap_threshold=64 * 1024**2)
    with pytest.raises(ValueError, match='trim_threshold'):
        malloc.tune_malloc(trim_threshold=-1)
    with pytest.raises(ValueError, match='mmap_max'):
        malloc.tune_malloc(mmap_max=-1)
    with pytest.raises(ValueError, match=r"unknown keys \['arena'\]"):
        malloc.apply_malloc_cfg(dict(arena=2))


def test_off_and_not_glibc_change_nothing(monkeypatch):
    assert malloc.apply_malloc_cfg(None) is False
    assert malloc.apply_malloc_cfg({}) is False
    monkeypatch.setattr(malloc, '_libc', lambda: None)
    assert malloc.tune_malloc() is False
