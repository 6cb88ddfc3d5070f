"""ImageNet weights for the backbones: found in torch's hub cache, mapped by name, loaded strictly.

A backbone whose ``init_cfg`` is ``dict(type='Pretrained', checkpoint=URL_OR_PATH)``
(mmengine's own form) is loaded by :func:`load_pretrained` instead of mmengine's
lenient loader, so that:

* a URL is read from the standard torch hub cache,
  ``$TORCH_HOME/hub/checkpoints/<file name of the URL>`` (``torch.hub.get_dir()``),
  when the file is there, and downloaded there by torch's own mechanism otherwise;
  ``open-mmlab://NAME`` is first resolved through mmengine's table of URLs;
* the file's parameter names are mapped onto the backbone's by a function of the
  backbone (e.g. mmdet's Darknet names onto headpose's), and every backbone tensor
  must arrive: a missing, unexpected or wrongly shaped key is an error that names it.
  Keys of the classifier (``fc.*``) are ignored and the log says which;
* with no file and no network, training stops before its first step with a
  :class:`PretrainedWeightsError` that names the file, where to put it, and how to
  train from scratch instead (``--cfg-options model.backbone.init_cfg=None``).

Set ``HEADPOSE_NO_DOWNLOAD=1`` to forbid downloads (the tests do): a missing file is
then reported at once.
"""

import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import urlparse

import torch
import torch.nn as nn
from mmengine.logging import print_log

#: torchvision's ResNet-50 ImageNet weights (``ResNet50_Weights.IMAGENET1K_V1``).
TORCHVISION_RESNET50 = 'https://download.pytorch.org/models/resnet50-0676ba61.pth'
#: The Darknet-53 ImageNet weights MMDetection's YOLOv3 configs start from
#: (``open-mmlab://darknet53`` in mmengine's table of URLs).
OPENMMLAB_DARKNET53 = 'https://download.openmmlab.com/pretrain/third_party/darknet53-a628ea1b.pth'

NO_DOWNLOAD_ENV = 'HEADPOSE_NO_DOWNLOAD'

#: A key map: the file's state dict -> (state dict in the backbone's names, ignored keys).
KeyMap = Callable[[Dict[str, torch.Tensor]], Tuple[Dict[str, torch.Tensor], List[str]]]


class PretrainedWeightsError(FileNotFoundError):
    """The pretrained weights a config names are neither on disk nor downloadable."""


def is_pretrained(init_cfg) -> bool:
    """Whether ``init_cfg`` is mmengine's ``dict(type='Pretrained', checkpoint=...)``."""
    return isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained'


def resolve_url(checkpoint: str) -> str:
    """``open-mmlab://NAME`` -> the URL in mmengine's table; anything else unchanged."""
    for prefix in ('open-mmlab://', 'openmmlab://'):
        if checkpoint.startswith(prefix):
            from mmengine.runner.checkpoint import get_external_models
            name = checkpoint[len(prefix):]
            urls = get_external_models()
            if name not in urls:
                raise KeyError(f'{checkpoint}: {name!r} is not in mmengine\'s table of '
                               'OpenMMLab weights (mmengine/hub/openmmlab.json)')
            return urls[name]
    return checkpoint


def hub_cache_path(url: str) -> str:
    """Where torch.hub keeps the file of ``url``: ``<torch.hub.get_dir()>/checkpoints/NAME``."""
    return osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(urlparse(url).path))


def _missing(what: str, path: str, url: Optional[str], owner: str, why: str) -> str:
    lines = [f'{owner}: the pretrained weights {what} are not available ({why}).']
    if url:
        lines.append(f'Download {url} on a machine with network access and put it at\n'
                     f'    {path}\n(the torch hub cache: $TORCH_HOME/hub/checkpoints/, '
                     'by default ~/.cache/torch/hub/checkpoints/), or point '
                     'model.backbone.init_cfg.checkpoint at a local copy.')
    else:
        lines.append(f'No file at {path}; point model.backbone.init_cfg.checkpoint at the file.')
    lines.append('To train from scratch instead (not the paper\'s setting), add\n'
                 '    --cfg-options model.backbone.init_cfg=None')
    return '\n'.join(lines)


def fetch_checkpoint(checkpoint: str, owner: str) -> Tuple[str, Optional[str]]:
    """The local file of ``checkpoint`` (a path, URL or ``open-mmlab://``), and its URL.

    A URL's file is taken from the torch hub cache when there, else downloaded into it
    with ``torch.hub.download_url_to_file`` (unless ``HEADPOSE_NO_DOWNLOAD`` is set).

    Raises:
        PretrainedWeightsError: no such file, and no download possible.
    """
    url = resolve_url(checkpoint)
    if not url.startswith(('http://', 'https://')):
        if not osp.isfile(url):
            raise PretrainedWeightsError(_missing(url, url, None, owner, 'no such file'))
        return url, None
    path = hub_cache_path(url)
    if osp.isfile(path):
        return path, url
    if os.environ.get(NO_DOWNLOAD_ENV, '') not in ('', '0'):
        raise PretrainedWeightsError(_missing(osp.basename(path), path, url, owner,
                                              f'not in the cache and {NO_DOWNLOAD_ENV} is set'))
    os.makedirs(osp.dirname(path), exist_ok=True)
    print_log(f'{owner}: downloading {url} to {path}', logger='current')
    try:  # writes a temporary file and renames it: no partial file is left at ``path``
        torch.hub.download_url_to_file(url, path, progress=False)
    except Exception as e:  # URLError, HTTPError, OSError, timeouts: all mean "not here"
        raise PretrainedWeightsError(_missing(osp.basename(path), path, url, owner,
                                              f'download failed: {e}')) from e
    return path, url


def read_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """The tensors of a checkpoint file (a bare state dict, or one under ``state_dict``)."""
    try:
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:
        raise ValueError(f'{path}: cannot be read as a torch checkpoint with '
                         f'weights_only=True ({e})') from e
    if isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict):
        ckpt = ckpt['state_dict']
    if not isinstance(ckpt, dict) or not all(torch.is_tensor(v) for v in ckpt.values()):
        raise ValueError(f'{path}: expected a state dict of tensors, got {type(ckpt).__name__}')
    return ckpt


def load_pretrained(module: nn.Module, init_cfg: dict, key_map: KeyMap) -> None:
    """Loads ``init_cfg['checkpoint']`` into ``module`` through ``key_map``, strictly.

    Every tensor of ``module.state_dict()`` must come from the file with its shape,
    except BatchNorm's ``num_batches_tracked`` counters (files saved before PyTorch 0.4.1
    have none; the module's stay as they are). The keys ``key_map`` ignores (the
    classifier) are logged.

    Raises:
        PretrainedWeightsError: the file is missing and cannot be downloaded.
        KeyError: a backbone tensor is missing from the file, or the file has a key
            the backbone does not (after the key map), or a shape differs.
    """
    owner = type(module).__name__
    path, url = fetch_checkpoint(init_cfg['checkpoint'], owner)
    state, ignored = key_map(read_state_dict(path))
    own = module.state_dict()
    missing = [k for k in own if k not in state and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in state if k not in own]
    shapes = [f'{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}'
              for k in state if k in own and state[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        raise KeyError(
            f'{owner}: {path} does not match the backbone (depth / width as configured?): '
            f'{len(missing)} missing {missing[:8]}, {len(unexpected)} unexpected '
            f'{unexpected[:8]}, {len(shapes)} of another shape {shapes[:4]}')
    module.load_state_dict(state, strict=False)
    print_log(f'{owner}: initialised from pretrained weights {path}'
              f'{f" ({url})" if url else ""}: {len(state)} of {len(own)} tensors loaded '
              f'(the rest are num_batches_tracked counters); ignored {len(ignored)} keys of '
              f'the file: {", ".join(ignored) or "none"}', logger='current')


def torchvision_resnet_keys(state: Dict[str, torch.Tensor]) -> Tuple[dict, List[str]]:
    """torchvision's ResNet names are headpose's; the classifier ``fc.*`` is ignored."""
    kept = {k: v for k, v in state.items() if not k.startswith('fc.')}
    return kept, sorted(k for k in state if k.startswith('fc.'))


def mmdet_darknet_keys(state: Dict[str, torch.Tensor]) -> Tuple[dict, List[str]]:
    """MMDetection's Darknet names -> headpose's :class:`Darknet` names.

    ``conv1.{conv,bn}.*`` -> ``stem.{0,1}.*``;
    ``conv_res_block{s}.conv.{conv,bn}.*`` -> ``stage{s}.0.{0,1}.*`` (the stride-2 conv);
    ``conv_res_block{s}.res{j}.conv{k}.{conv,bn}.*`` -> ``stage{s}.{j+1}.conv{k}.{0,1}.*``.
    Keys of no such form are kept as they are (so they show up as unexpected).
    """
    unit = {'conv': '0', 'bn': '1'}  # ConvModule's names -> ConvBNLeaky's indices
    out = {}
    for key, value in state.items():
        parts = key.split('.')
        new = parts
        if len(parts) == 3 and parts[0] == 'conv1' and parts[1] in unit:
            new = ['stem', unit[parts[1]], parts[2]]
        elif parts[0].startswith('conv_res_block') and parts[0][14:].isdigit():
            stage = 'stage' + parts[0][14:]
            if len(parts) == 4 and parts[1] == 'conv' and parts[2] in unit:
                new = [stage, '0', unit[parts[2]], parts[3]]
            elif (len(parts) == 5 and parts[1][:3] == 'res' and parts[1][3:].isdigit()
                  and parts[2] in ('conv1', 'conv2') and parts[3] in unit):
                new = [stage, str(int(parts[1][3:]) + 1), parts[2], unit[parts[3]], parts[4]]
        out['.'.join(new)] = value
    return out, []


__all__ = ['OPENMMLAB_DARKNET53', 'PretrainedWeightsError', 'TORCHVISION_RESNET50',
           'fetch_checkpoint', 'hub_cache_path', 'is_pretrained', 'load_pretrained',
           'mmdet_darknet_keys', 'torchvision_resnet_keys']
