"""Installs the headpose package (``pip install -e .`` or ``pip install .``).

Besides the Python package, the wheel carries ``configs/``, ``tools/`` and
``model-index.yml`` in ``headpose/.mim/``, where OpenMMLab's ``mim`` looks for them
(``mim train headpose CONFIG``, ``mim search headpose``). ``pip install -e .`` links
them there (edits in the repository take effect at once); any other build copies them.
"""

import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
#: What goes into ``headpose/.mim``: paths relative to the repository root.
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(osp.dirname(__file__), 'headpose', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def read_requirements(name: str) -> list:
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith(('#', '-'))]


def add_mim_extension() -> None:
    """Puts ``MIM_FILES`` into ``headpose/.mim``: links for editable installs, else copies.

    An editable install (``pip install -e .`` runs the ``editable_wheel`` or ``develop``
    command) imports ``headpose`` from this folder, so links keep ``.mim`` in step with
    the repository. Any other build (``pip install .``, ``pip wheel .``, ``bdist_wheel``,
    ``sdist``) copies the files, because the package is used without the repository.
    Both are kept out of git by ``.gitignore``.
    """
    commands = set(sys.argv[1:])
    if commands & {'develop', 'editable_wheel'}:
        mode = 'symlink'
    elif commands & {'install', 'build', 'build_py', 'bdist_wheel', 'sdist'}:
        mode = 'copy'
    else:  # e.g. ``setup.py --version``: leave the folder as it is
        return
    mim_dir = osp.join(HERE, 'headpose', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(HERE, name)
        dst = osp.join(mim_dir, name)
        if not osp.exists(src):
            raise FileNotFoundError(f'setup.py: {src} (listed in MIM_FILES) does not exist')
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_dir), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src, dst)


add_mim_extension()
setup(
    name='headpose',
    version=read_version(),
    description='A registry-driven toolbox for estimating the 3D orientation of human heads',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(exclude=('configs', 'tools', 'demo', 'tests', 'projects')),
    install_requires=read_requirements('runtime.txt'),
    extras_require=dict(tests=read_requirements('tests.txt'),
                        optional=read_requirements('optional.txt'),
                        web=read_requirements('web.txt')),
    # headpose/.mim (configs, tools, model index): see add_mim_extension and MANIFEST.in;
    # the packaged models and their cards (tools/deployment/package_model.py)
    include_package_data=True,
    package_data={'headpose': ['model_zoo/*/model.pth', 'model_zoo/*/README.md',
                               'model_zoo/*/metrics.json']},
    # `headpose photos/`: head poses of photographs with the packaged model (headpose/cli.py)
    entry_points={'console_scripts': ['headpose=headpose.cli:console']},
    zip_safe=False,
)
