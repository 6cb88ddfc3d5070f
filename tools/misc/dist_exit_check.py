"""Runs ``tools/dist_train.sh`` many times in a row and counts the runs that fail.

A distributed run that trains and validates well could still die at its very end:
"terminate called without an active exception" (SIGABRT), when a gloo worker thread
dropped a finished collective holding Python tensors while the interpreter was
finalizing (the root and the fix: ``headpose.utils.launch.finish_distributed``). One run
proves nothing: this tool repeats a short 2-process CPU run and reports every failure
with its exit status and the line of the log that tells why. ``--hogs N`` keeps N
single-threaded busy processes beside the runs (the race shows up on a loaded machine,
as in a CI run); the default is one per core.

Example (the check of issue 33, about an hour on 2 cores; run it on a quiet machine)::

    OMP_NUM_THREADS=1 python tools/misc/dist_exit_check.py --runs 100 --hogs 3

prints one line per run and ends with ``100 passed, 0 failed in ... min``; the exit
status is 1 if any run failed.
"""

import argparse
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(REPO, 'tests', 'data', 'configs', 'tiny_rankpose_synthheads.py')
#: Log lines that tell why a run failed, most telling first.
CLUES = ('terminate called', 'Signal 6', 'SIGABRT', 'Error', 'error')
#: A busy loop of matrix products that keeps one core occupied.
LOAD = ('import torch\ntorch.set_num_threads(1)\na = torch.randn(800, 800)\n'
        'while True:\n    a @ a\n')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=20, help='consecutive runs')
    parser.add_argument('--nproc', type=int, default=2, help='processes per run')
    parser.add_argument('--config', default=TINY, help='config to train (one epoch)')
    parser.add_argument('--hogs', type=int, default=os.cpu_count() or 2,
                        help='single-threaded busy processes beside the runs (default: one '
                        'per core)')
    parser.add_argument('--no-load', action='store_true', help='the same as --hogs 0')
    parser.add_argument('--port', type=int, default=29600, help='first master port')
    parser.add_argument('--keep', help='keep the logs of failed runs in this folder')
    return parser.parse_args(argv)


def clue(log: str) -> str:
    """The most telling line of a failed run's log."""
    lines = log.splitlines()
    for word in CLUES:
        for line in lines:
            if word in line:
                return line.strip()[:160]
    return lines[-1].strip()[:160] if lines else '(no output)'


def one_run(args: argparse.Namespace, index: int, work: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS='1', PORT=str(args.port + index),
               PYTHON=sys.executable)
    cmd = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), args.config, str(args.nproc),
           '--work-dir', osp.join(work, f'run{index}'), '--cfg-options',
           'train_cfg.max_epochs=1']
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)


def main(argv=None) -> int:
    args = parse_args(argv)
    hogs = [subprocess.Popen([sys.executable, '-c', LOAD])
            for _ in range(0 if args.no_load else args.hogs)]
    passed = failed = 0
    begin = time.time()
    try:
        with tempfile.TemporaryDirectory(prefix='dist_exit_check_') as work:
            for i in range(args.runs):
                start = time.time()
                proc = one_run(args, i, work)
                log = proc.stdout + proc.stderr
                if proc.returncode == 0:
                    passed += 1
                    print(f'run {i + 1}: ok ({time.time() - start:.1f} s)', flush=True)
                    continue
                failed += 1
                print(f'run {i + 1}: FAILED, exit status {proc.returncode}: {clue(log)}',
                      flush=True)
                if args.keep:
                    os.makedirs(args.keep, exist_ok=True)
                    with open(osp.join(args.keep, f'run{i + 1}.log'), 'w') as f:
                        f.write(log)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    print(f'{passed} passed, {failed} failed in {(time.time() - begin) / 60:.1f} min '
          f'({len(hogs)} busy processes beside the runs)')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
