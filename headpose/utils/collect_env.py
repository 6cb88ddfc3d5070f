"""Collecting the versions of the environment, for bug reports and logs."""

import mmengine
from mmengine.utils.dl_utils import collect_env as collect_base_env

import headpose


def collect_env() -> dict:
    """The environment's description: Python, torch, CUDA, compilers, and headpose."""
    env = collect_base_env()
    env['MMEngine'] = mmengine.__version__
    env['headpose'] = headpose.__version__
    return env


if __name__ == '__main__':
    for name, value in collect_env().items():
        print(f'{name}: {value}')
