"""Tests of atomic checkpoint writing and the one strict checkpoint reader."""

import errno
import os

import pytest
import torch

from headpose.engine.checkpoint import (
    CheckpointMismatchError,
    load_model_weights,
    write_atomically,
)


def test_write_atomically_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / 'epoch_1.pth'
    write_atomically(b'complete', str(path))
    assert path.read_bytes() == b'complete' and os.listdir(tmp_path) == ['epoch_1.pth']

    def full(fd):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', full)
    with pytest.raises(OSError, match=r'cannot write .*epoch_1.pth \(0.0 MiB; .* MiB free'):
        write_atomically(b'half-written new checkpoint', str(path))
    assert path.read_bytes() == b'complete'  # untouched
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # the temporary file is gone


def test_load_model_weights_refuses_a_mismatch(tmp_path):
    model = torch.nn.Linear(2, 3)
    ckpt = tmp_path / 'other.pth'
    torch.save({'state_dict': torch.nn.Linear(2, 4).state_dict()}, ckpt)
    with pytest.raises(CheckpointMismatchError, match='shape mismatches'):
        load_model_weights(model, str(ckpt))
    torch.save({'state_dict': model.state_dict(), 'meta': {'a': 1}}, ckpt)
    assert load_model_weights(torch.nn.Linear(2, 3), str(ckpt)) == {'a': 1}
