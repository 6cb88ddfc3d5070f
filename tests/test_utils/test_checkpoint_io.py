"""Tests of the low checkpoint module: leftovers of killed saves, complete checkpoints,
the newest one of a work dir, and that the apis read checkpoints without the engine."""

import os
import subprocess
import sys

import torch

from headpose.testing import REPO_ROOT
from headpose.utils.checkpoint_io import (
    checkpoint_problem,
    latest_checkpoint,
    remove_stale_temp_files,
    stale_temp_files,
    write_atomically,
)


def test_stale_temp_files_are_those_of_write_atomically(tmp_path):
    stale = tmp_path / '.epoch_3.pth.k2x_9abc.tmp'  # what kill -9 during a save leaves
    stale.write_bytes(b'x' * 1000)
    (tmp_path / '.hidden_notes.txt').write_text('not ours')
    (tmp_path / 'epoch_3.pth.tmp').write_text('not hidden: not ours')
    write_atomically(b'done', str(tmp_path / 'epoch_2.pth'))  # leaves nothing behind
    assert stale_temp_files(str(tmp_path)) == [str(stale)]
    assert remove_stale_temp_files(str(tmp_path)) == [(str(stale), 1000)]
    assert sorted(os.listdir(tmp_path)) == ['.hidden_notes.txt', 'epoch_2.pth',
                                            'epoch_3.pth.tmp']
    assert stale_temp_files(str(tmp_path / 'absent')) == []


def test_latest_complete_checkpoint(tmp_path):
    work = str(tmp_path)
    path, why = latest_checkpoint(work)
    assert path is None and why == f'{work} has no last_checkpoint file and no epoch_N.pth'
    for n in (1, 2, 10):
        torch.save({'state_dict': {'w': torch.ones(n)}}, tmp_path / f'epoch_{n}.pth')
    full = (tmp_path / 'epoch_10.pth').read_bytes()
    (tmp_path / 'epoch_11.pth').write_bytes(full[:len(full) // 2])  # cut short
    assert checkpoint_problem(str(tmp_path / 'epoch_10.pth')) is None
    assert 'not a complete torch.save file' in checkpoint_problem(str(tmp_path / 'epoch_11.pth'))
    assert latest_checkpoint(work) == (str(tmp_path / 'epoch_10.pth'), '')  # 10 > 2, numeric
    path, why = latest_checkpoint(work, 'iter')
    assert path is None and 'no iter_N.pth (it has epoch_1.pth, epoch_10.pth' in why
    for n in (1, 2, 10):
        os.remove(tmp_path / f'epoch_{n}.pth')
    path, why = latest_checkpoint(work)
    assert path is None and why.startswith(f'no complete epoch_N.pth in {work}: epoch_11.pth: ')


def test_apis_do_not_import_the_training_engine():
    code = ('import sys\nimport headpose.apis\nfrom headpose.apis import init_model\n'
            "init_model('tests/data/configs/tiny_rankpose_synthheads.py')\n"
            "print(sorted(m for m in sys.modules if m.startswith('headpose.engine')))")
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO_ROOT, capture_output=True,
                         text=True, check=True, env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert out.stdout.strip() == '[]'
