"""Models that travel inside the package: finding, reading and writing them by name.

A packaged model is a folder ``headpose/model_zoo/<name>/`` holding ``model.pth`` (the
weights in half precision with the resolved config embedded, one file that needs
nothing else) and ``README.md`` (its model card). ``tools/deployment/package_model.py``
builds both from a config and a checkpoint; :class:`~headpose.apis.HeadPoseInferencer`
with no model, ``demo/image_demo.py`` and ``demo/video_demo.py`` with no config, the
``headpose`` console command and ``tools/test.py`` (as its checkpoint) load it by name.

``model.pth`` is a checkpoint dict that ``torch.load(weights_only=True)`` reads::

    {'state_dict': {...},             # floating tensors as float16, others as they were
     'meta': {'format': 'headpose-packaged-model', 'format_version': 1,
              'name': ..., 'config': '<the resolved config as Python text>',
              'dataset_meta': {...}, 'source_checkpoint': 'epoch_5.pth',
              'source_sha256': ..., 'headpose_version': ..., 'dtype': 'float16'}}

so it is also an ordinary checkpoint for the config it was built from (the weights
are cast back to the model's float32 when loaded).
"""

import os
import os.path as osp
from typing import List, Optional, Tuple, Union

import torch
from mmengine.config import Config

#: The folder of the packaged models (package data: in the wheel and the repository).
MODEL_ZOO_DIR = osp.dirname(osp.abspath(__file__))
#: An environment variable naming one more folder of packaged models, searched first
#: (e.g. models packaged with ``--out-dir`` outside the package).
ZOO_ENV = 'HEADPOSE_MODEL_ZOO'
#: The model that ``HeadPoseInferencer()`` and the demos load when given no model; it is
#: listed under ``Packaged`` in ``model-index.yml``.
DEFAULT_MODEL = 'rankpose_r18_real'
#: The file names inside a packaged model's folder.
MODEL_FILE = 'model.pth'
CARD_FILE = 'README.md'
#: ``meta['format']`` of a packaged model file.
FORMAT = 'headpose-packaged-model'
FORMAT_VERSION = 1
#: The command that builds a packaged model (named in the errors below).
BUILD_COMMAND = ('python tools/deployment/package_model.py CONFIG CHECKPOINT --name {name}')


class PackagedModelNotFoundError(FileNotFoundError):
    """A packaged model that is not there (not built yet, or a misspelt name)."""


def zoo_dirs(zoo_dir: Optional[str] = None) -> List[str]:
    """The folders that packaged models are looked up in by name: ``zoo_dir`` if given;
    else ``$HEADPOSE_MODEL_ZOO`` (when set), then :data:`MODEL_ZOO_DIR`."""
    if zoo_dir:
        return [zoo_dir]
    extra = os.environ.get(ZOO_ENV)
    return ([extra] if extra else []) + [MODEL_ZOO_DIR]


def list_packaged_models(zoo_dir: Optional[str] = None) -> List[str]:
    """The names of the packaged models present (see :func:`zoo_dirs`)."""
    names = set()
    for folder in zoo_dirs(zoo_dir):
        if osp.isdir(folder):
            names |= {name for name in os.listdir(folder)
                      if osp.isfile(osp.join(folder, name, MODEL_FILE))}
    return sorted(names)


def is_packaged_file(path: Union[str, os.PathLike]) -> bool:
    """Whether ``path`` is a packaged model file (read to check its ``meta['format']``)."""
    path = os.fspath(path)
    if not (osp.isfile(path) and path.endswith('.pth')):
        return False
    try:
        meta = torch.load(path, map_location='cpu', weights_only=True).get('meta') or {}
    except Exception:
        return False
    return isinstance(meta, dict) and meta.get('format') == FORMAT


def packaged_model_path(spec: Union[None, str, os.PathLike] = None,
                        zoo_dir: Optional[str] = None) -> str:
    """The ``model.pth`` of a packaged model given by name, folder or file.

    Args:
        spec: ``None`` (:data:`DEFAULT_MODEL`), a name (a folder of :func:`zoo_dirs`),
            a folder holding ``model.pth``, or a packaged model file.
        zoo_dir: where names are looked up (default: :func:`zoo_dirs`).

    Raises:
        PackagedModelNotFoundError: no such model; the message says where it was looked
            for, which models are present and the command that builds one.
    """
    name = DEFAULT_MODEL if spec is None else os.fspath(spec)
    if osp.isfile(name):
        return name
    if osp.isfile(osp.join(name, MODEL_FILE)):
        return osp.join(name, MODEL_FILE)
    paths = [osp.join(folder, name, MODEL_FILE) for folder in zoo_dirs(zoo_dir)]
    for path in paths:
        if osp.isfile(path):
            return path
    present = list_packaged_models(zoo_dir)
    raise PackagedModelNotFoundError(
        f'no packaged model {name!r} (looked for {" and ".join(paths)}; packaged models '
        f'present: {", ".join(present) or "none"}). Build it from a trained checkpoint '
        'with\n  '
        + BUILD_COMMAND.format(name=name)
        + '\nor give a config and a checkpoint instead (see docs/inference.md).')


def find_packaged_model(spec: Union[str, os.PathLike]) -> Optional[str]:
    """The ``model.pth`` of ``spec`` if it names a packaged model that is present (a name
    of :func:`zoo_dirs`, a folder holding ``model.pth`` or a packaged model file), else
    ``None``; never raises."""
    spec = os.fspath(spec)
    if osp.isfile(spec):
        return spec if is_packaged_file(spec) else None
    if osp.isfile(osp.join(spec, MODEL_FILE)):
        return osp.join(spec, MODEL_FILE)
    if osp.sep in spec or spec.endswith('.py'):
        return None
    for folder in zoo_dirs():
        if osp.isfile(osp.join(folder, spec, MODEL_FILE)):
            return osp.join(folder, spec, MODEL_FILE)
    return None


def load_packaged_model(spec: Union[None, str, os.PathLike] = None,
                        zoo_dir: Optional[str] = None) -> Tuple[Config, str, dict]:
    """Reads a packaged model's config and meta data (the weights are read by
    :func:`~headpose.apis.init_model` from the returned path).

    Args:
        spec: as :func:`packaged_model_path`.
        zoo_dir: as :func:`packaged_model_path`.

    Returns:
        ``(config, path of model.pth, meta)``.

    Raises:
        PackagedModelNotFoundError: see :func:`packaged_model_path`.
        ValueError: the file is a checkpoint, not a packaged model (it has no embedded
            config): give its config as well.
    """
    path = packaged_model_path(spec, zoo_dir)
    from headpose.engine.checkpoint import load_checkpoint_weights
    meta = load_checkpoint_weights(path).get('meta') or {}
    if not isinstance(meta, dict) or meta.get('format') != FORMAT:
        raise ValueError(f'{path} is not a packaged model (no embedded config: it was not '
                         'written by tools/deployment/package_model.py); give its config '
                         'and this file as the checkpoint instead')
    if meta.get('format_version', 0) > FORMAT_VERSION:
        raise ValueError(f'{path} is a packaged model of format version '
                         f'{meta["format_version"]}; this headpose reads up to '
                         f'{FORMAT_VERSION}: update headpose')
    config = Config.fromstring(meta['config'], '.py')
    return config, path, meta


def half_state_dict(state_dict: dict) -> dict:
    """The state dict with its floating tensors cast to float16 (others unchanged)."""
    return {k: (v.detach().to('cpu', torch.float16) if v.is_floating_point()
                else v.detach().cpu()).contiguous()
            for k, v in state_dict.items()}


def write_packaged_model(state_dict: dict, config: Config, out_file: str, name: str,
                         dataset_meta: Optional[dict] = None, **meta) -> int:
    """Writes a packaged model file: half-precision weights and the resolved config.

    Args:
        state_dict: the model's weights (any float precision).
        config: the config the weights were trained with (resolved: ``_base_`` merged).
        out_file: the ``model.pth`` to write (atomically: complete or untouched).
        name: the model's name.
        dataset_meta: the checkpoint's ``meta['dataset_meta']``.
        **meta: more plain meta data (strings, numbers) to store.

    Returns:
        The file's size in bytes.
    """
    import io

    from headpose.engine.checkpoint import write_atomically
    from headpose.version import __version__
    text = config.dump() if isinstance(config, Config) else str(config)
    Config.fromstring(text, '.py')  # refuse a config that would not read back
    meta = dict(format=FORMAT, format_version=FORMAT_VERSION, name=name, config=text,
                dataset_meta=dataset_meta or {}, headpose_version=__version__,
                dtype='float16', **meta)
    buffer = io.BytesIO()
    torch.save(dict(state_dict=half_state_dict(state_dict), meta=meta), buffer)
    write_atomically(buffer.getvalue(), out_file)
    return len(buffer.getvalue())


__all__ = ['BUILD_COMMAND', 'CARD_FILE', 'DEFAULT_MODEL', 'FORMAT', 'FORMAT_VERSION',
           'MODEL_FILE', 'MODEL_ZOO_DIR', 'PackagedModelNotFoundError', 'ZOO_ENV',
           'find_packaged_model', 'half_state_dict', 'is_packaged_file', 'list_packaged_models',
           'load_packaged_model', 'packaged_model_path', 'write_packaged_model', 'zoo_dirs']
