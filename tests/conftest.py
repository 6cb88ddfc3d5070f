"""Test-wide set-up: register headpose's modules once and keep tests single-threaded."""

import os

os.environ.setdefault('OMP_NUM_THREADS', '1')
# No test may download: a pretrained backbone whose file is not in the (temporary) torch hub
# cache fails at once (headpose.models.backbones.pretrained), in subprocesses too.
os.environ['HEADPOSE_NO_DOWNLOAD'] = '1'

import pytest  # noqa: E402
import torch  # noqa: E402

from headpose.utils import register_all_modules  # noqa: E402

# `make test` runs two pytest-xdist workers, one thread each (2 cores); alone, 2 threads.
torch.set_num_threads(int(os.environ.get(
    'HEADPOSE_TEST_THREADS', '1' if os.environ.get('PYTEST_XDIST_WORKER') else '2')))
register_all_modules()


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield
