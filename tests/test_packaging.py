"""The built wheel carries configs, tools and the model index in ``headpose/.mim``.

The wheel is built from a copy of the repository (so that the build's copies never land
in the working tree), unpacked into a folder, and a config and ``tools/train.py`` are
run from that folder, outside the repository, as ``mim train`` runs them.
"""

import os
import os.path as osp
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest
import yaml

from headpose.testing import REPO_ROOT

# Build outputs and local state that a fresh clone does not have.
SKIP_AT_ROOT = {'.git', '.venv', 'work_dirs', 'data', 'build', 'dist', 'outputs',
                '.pytest_cache', '.ruff_cache'}


def _ignore(folder, names):
    skip = {n for n in names if n in ('__pycache__', '.mim') or n.endswith('.egg-info')}
    if osp.abspath(folder) == osp.abspath(REPO_ROOT):
        skip |= SKIP_AT_ROOT & set(names)
    return skip


def repo_files(folder, exts):
    """Paths (relative to the repository) of the files under ``folder`` ending in ``exts``."""
    out = set()
    for root, dirs, files in os.walk(osp.join(REPO_ROOT, folder)):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        out |= {osp.relpath(osp.join(root, f), REPO_ROOT) for f in files if f.endswith(exts)}
    return out


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    """Builds the wheel from a copy of the repository; returns its path."""
    tmp = tmp_path_factory.mktemp('wheel')
    src = tmp / 'src'
    shutil.copytree(REPO_ROOT, src, ignore=_ignore, symlinks=True)
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation',
         '--no-index', '-q', '-w', str(tmp / 'dist'), str(src)],
        cwd=tmp, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f'pip wheel failed:\n{proc.stdout}\n{proc.stderr}'
    wheels = [f for f in os.listdir(tmp / 'dist') if f.endswith('.whl')]
    assert len(wheels) == 1, wheels
    return tmp / 'dist' / wheels[0]


def test_wheel_carries_configs_tools_and_model_index(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = repo_files('configs', ('.py', '.yml', '.md')) | repo_files('tools', ('.py', '.sh'))
    expected.add('model-index.yml')
    missing = sorted(p for p in expected if f'headpose/.mim/{p}' not in names)
    assert not missing, f'not in {wheel.name} under headpose/.mim: {missing}'
    # the metafiles that model-index.yml imports are there, at the paths it names
    with zipfile.ZipFile(wheel) as z:
        index = yaml.safe_load(z.read('headpose/.mim/model-index.yml'))
    for metafile in index['Import']:
        assert f'headpose/.mim/{metafile}' in names, metafile
    assert not any(n.startswith(('tests/', 'headpose/.mim/tests')) for n in names)
    assert not any('__pycache__' in n for n in names)


def test_installed_config_and_train_tool_run_outside_the_repository(wheel, tmp_path):
    site = tmp_path / 'site'
    zipfile.ZipFile(wheel).extractall(site)  # what ``pip install --target`` lays out
    mim = site / 'headpose' / '.mim'
    script = textwrap.dedent(f"""
        import os.path as osp, runpy, sys
        import headpose
        assert headpose.__file__.startswith({str(site)!r}), headpose.__file__
        from mmengine.config import Config
        from headpose.registry import MODELS
        from headpose.utils import register_all_modules
        register_all_modules()
        cfg = Config.fromfile({str(mim / 'configs/rankpose/r18_arccos_synthheads.py')!r})
        assert cfg.model.backbone.depth == 18 and cfg.default_scope == 'headpose'
        MODELS.build(cfg.model)
        sys.argv = ['train.py', cfg.filename, '--work-dir', 'work', '--cfg-options',
                    'train_dataloader.batch_size=4',
                    'train_dataloader.dataset.dataset.num_samples=8',
                    'train_dataloader.dataset.dataset.num_identities=2',
                    'val_dataloader.dataset.num_samples=4', 'train_cfg.max_epochs=1',
                    'train_cfg.val_interval=1', 'param_scheduler.0.T_max=1',
                    'param_scheduler.0.end=1', 'default_hooks.checkpoint.interval=1']
        runpy.run_path({str(mim / 'tools/train.py')!r}, run_name='__main__')
    """)
    env = dict(os.environ, PYTHONPATH=str(site), OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, '-c', script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}'
    assert osp.isfile(tmp_path / 'work' / 'epoch_1.pth')


def test_editable_install_links_mim_files_and_git_ignores_them():
    with open(osp.join(REPO_ROOT, '.gitignore')) as f:
        assert 'headpose/.mim/' in f.read().split()
    mim = osp.join(REPO_ROOT, 'headpose', '.mim')
    if not osp.isdir(mim):
        pytest.skip('headpose is not installed from this folder (no headpose/.mim)')
    for name in ('configs', 'tools', 'model-index.yml'):
        path = osp.join(mim, name)
        assert osp.exists(path), f'{path} is missing: run `pip install -e .` again'
        if osp.islink(path):  # editable install: links into the repository
            assert osp.realpath(path) == osp.realpath(osp.join(REPO_ROOT, name))
