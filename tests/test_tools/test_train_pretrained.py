"""tools/train.py on the paper's RankPose config starts from ImageNet weights, or stops clearly."""

import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch

from headpose.testing import REAL_SAMPLES, REPO_ROOT, tool_env
from headpose.testing.pretrained import torchvision_resnet50_state

SAMPLES = osp.join(REAL_SAMPLES, '300w_lp')
CONFIG = 'configs/rankpose/r50_arccos_300wlp.py'


def train(tmp_path, work_dir):
    """One iteration of the paper's config on one real 300W-LP image, 64 x 64, no validation."""
    root = tmp_path / '300W_LP'
    (root / 'IBUG').mkdir(parents=True, exist_ok=True)
    for ext in ('jpg', 'mat'):
        shutil.copy(osp.join(SAMPLES, f'IBUG_image_008_1_0.{ext}'), root / 'IBUG')
    data = 'train_dataloader.dataset.dataset'
    args = [sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(work_dir),
            '--cfg-options', f'{data}.data_root={root}/', f'{data}.subsets=IBUG',
            f'{data}.cache_dir={tmp_path}/cache', f'{data}.pipeline.1.input_size=(64,64)',
            'train_dataloader.batch_size=1', 'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1',
            'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']
    env = tool_env(dict(TORCH_HOME=str(tmp_path / 'torch'), HEADPOSE_NO_DOWNLOAD='1',
                        https_proxy='http://127.0.0.1:9', http_proxy='http://127.0.0.1:9'))
    return subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, env=env,
                          timeout=600)


@pytest.mark.skipif(not osp.isdir(SAMPLES), reason='needs ../shared/data/real_samples/300w_lp')
def test_train_starts_from_the_cached_imagenet_weights_or_stops_with_the_way_out(tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    (work / 'notes.txt').write_text('written before the run')
    # No weights in the hub cache, downloads impossible: stops before the first step.
    proc = train(tmp_path, work)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 'PretrainedWeightsError' in out and 'resnet50-0676ba61.pth' in out
    assert osp.join(str(tmp_path), 'torch', 'hub', 'checkpoints') in out
    assert '--cfg-options model.backbone.init_cfg=None' in out
    assert 'Epoch(train)' not in out
    assert (work / 'notes.txt').read_text() == 'written before the run'
    # With the file (official key names) in the cache: loaded, classifier ignored, trained.
    hub = tmp_path / 'torch' / 'hub' / 'checkpoints'
    hub.mkdir(parents=True)
    sd = torchvision_resnet50_state()
    torch.save(sd, hub / 'resnet50-0676ba61.pth')
    proc = train(tmp_path, work)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert f'ResNet: initialised from pretrained weights {hub}/resnet50-0676ba61.pth' in out
    assert 'ignored 2 keys of the file: fc.bias, fc.weight' in out
    assert (work / 'notes.txt').read_text() == 'written before the run'
    ckpt = torch.load(work / 'epoch_1.pth', map_location='cpu', weights_only=True)
    # One Adam step of lr 1e-3 moves a weight by at most about 1e-3: it came from the file.
    diff = (ckpt['state_dict']['backbone.conv1.weight'] - sd['conv1.weight']).abs().max()
    assert diff < 2e-3
