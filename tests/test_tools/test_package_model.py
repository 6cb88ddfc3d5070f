"""tools/deployment/package_model.py on a tiny model trained here, and loading it by name."""

import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

from headpose.apis import HeadPoseInferencer, init_model
from headpose.model_zoo import (
    DEFAULT_MODEL,
    FORMAT,
    MODEL_ZOO_DIR,
    ZOO_ENV,
    PackagedModelNotFoundError,
    load_packaged_model,
    packaged_model_path,
)
from headpose.testing import REPO_ROOT, load_script
from headpose.testing.packaged import TINY_CONFIG, train_tiny_checkpoint

tool = load_script('tools/deployment/package_model.py', 'package_model')


@pytest.fixture(scope='module')
def packaged(tmp_path_factory):
    """A checkpoint trained for 3 iterations and its package (evaluated, timed briefly)."""
    tmp = tmp_path_factory.mktemp('package')
    ckpt = train_tiny_checkpoint(str(tmp / 'work'))
    out = tmp / 'zoo' / 'tiny'
    assert tool.main([TINY_CONFIG, ckpt, '--name', 'tiny', '--out-dir', str(out),
                      '--speed-iters', '2']) == 0
    return dict(ckpt=ckpt, out=out, zoo=tmp / 'zoo')


def test_package_holds_half_weights_and_the_config(packaged):
    path = packaged['out'] / 'model.pth'
    assert path.stat().st_size < 25 * 2**20
    raw = torch.load(path, weights_only=True)
    assert raw['meta']['format'] == FORMAT and raw['meta']['name'] == 'tiny'
    floats = [v for v in raw['state_dict'].values() if v.is_floating_point()]
    assert floats and all(v.dtype == torch.float16 for v in floats)
    source = torch.load(packaged['ckpt'], weights_only=True)['state_dict']
    assert set(raw['state_dict']) == set(source)
    for key, value in source.items():  # float16 of the trained weights, nothing else
        expected = value.half() if value.is_floating_point() else value
        assert torch.equal(raw['state_dict'][key], expected), key
    cfg, found, _ = load_packaged_model(str(packaged['out']))  # by folder
    assert found == str(path) and cfg.test_pipeline[1]['input_size'] == (32, 32)
    assert cfg.model.head.type == 'RankPoseHead'


def test_card_numbers_are_those_measured_and_tools_test_agrees(packaged, tmp_path):
    card = (packaged['out'] / 'README.md').read_text()
    measured = json.loads((packaged['out'] / 'metrics.json').read_text())
    ev = measured['evaluation']
    mae = ev['metrics']['pose/MAE']
    assert f'**MAE {mae:.2f}**' in card
    assert sum(b['faces'] for b in ev['bands']) == ev['num_faces'] == 16
    for band in ev['bands']:
        assert f'| {band["band"]} | {band["faces"]} | {band["yaw"]:.2f} |' in card
    assert 0 <= ev['fp16_max_angle_diff'] < 0.5  # float16 weights barely move the angles
    speed = measured['speed']
    assert speed['pytorch_ms'] > 0 and speed['onnxruntime_ms'] > 0 and speed['threads'] == 1
    assert f'PyTorch {speed["pytorch_ms"]:.2f} ms' in card
    assert 'SynthHeads (32 rendered heads of 8 made-up people' in card
    assert re.search(r'package_model\.py \S+tiny_rankpose_synthheads_iters\.py iter_3\.pth '
                     r'--name tiny', card)
    # tools/test.py with the packaged file as its checkpoint gives the card's figure
    test_tool = load_script('tools/test.py', 'test_tool')
    metrics = test_tool.main([TINY_CONFIG, str(packaged['out'] / 'model.pth'),
                              '--work-dir', str(tmp_path / 'test')])
    assert metrics['pose/MAE'] == pytest.approx(mae, abs=1e-6)


def test_tools_test_takes_a_packaged_model_by_name(packaged, tmp_path, monkeypatch):
    test_tool = load_script('tools/test.py', 'test_tool')
    monkeypatch.setenv(ZOO_ENV, str(packaged['zoo']))
    args = test_tool.parse_args([TINY_CONFIG, 'tiny', '--work-dir', str(tmp_path)])
    cfg = test_tool.build_cfg(args)
    assert cfg.load_from == str(packaged['out'] / 'model.pth')
    for missing, says in (('no_such_model', 'tools/deployment/package_model.py'),
                          ('missing.pth', 'checkpoint not found: missing.pth')):
        with pytest.raises(SystemExit, match=re.escape(says)):
            test_tool.build_cfg(test_tool.parse_args([TINY_CONFIG, missing]))


def test_loaded_by_name_folder_or_file(packaged, monkeypatch):
    monkeypatch.setenv(ZOO_ENV, str(packaged['zoo']))
    path = str(packaged['out'] / 'model.pth')
    assert packaged_model_path('tiny') == path
    image = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    poses = []
    for spec in ('tiny', str(packaged['out']), path):
        inferencer = HeadPoseInferencer(spec, detector=None)
        assert inferencer.packaged and inferencer.weights == path
        poses.append(inferencer(image)['predictions'][0]['heads'][0]['yaw'])
    assert poses[0] == poses[1] == poses[2]
    # the same as the float32 checkpoint with the config, to float16 rounding
    fp32 = HeadPoseInferencer(TINY_CONFIG, weights=packaged['ckpt'])
    assert fp32(image)['predictions'][0]['heads'][0]['yaw'] == pytest.approx(poses[0], abs=0.05)
    # a packaged model finds faces (BlazeFace or Haar) unless told otherwise
    assert HeadPoseInferencer('tiny').detector_spec == 'auto'


def test_missing_packaged_model_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setattr('headpose.model_zoo.MODEL_ZOO_DIR', str(tmp_path))
    monkeypatch.delenv(ZOO_ENV, raising=False)
    for call in (lambda: HeadPoseInferencer(), lambda: HeadPoseInferencer(DEFAULT_MODEL),
                 lambda: packaged_model_path('other')):
        with pytest.raises(PackagedModelNotFoundError) as err:
            call()
        assert 'tools/deployment/package_model.py CONFIG CHECKPOINT --name' in str(err.value)
        assert 'packaged models present: none' in str(err.value)
    plain = tmp_path / 'plain.pth'
    torch.save({'state_dict': {}}, plain)
    with pytest.raises(ValueError, match='not a packaged model'):
        HeadPoseInferencer(str(plain))


def test_bad_setups_exit_2_and_leave_nothing(packaged, tmp_path, capsys):
    out = tmp_path / 'big'
    assert tool.main([TINY_CONFIG, packaged['ckpt'], '--out-dir', str(out), '--max-mb', '1',
                      '--no-eval', '--speed-iters', '0']) == 2
    assert 'above --max-mb 1' in capsys.readouterr().err and not (out / 'model.pth').exists()
    r50 = tmp_path / 'r50.py'
    r50.write_text(f"_base_ = ['{TINY_CONFIG}']\nmodel = dict(backbone=dict(depth=50), "
                   'head=dict(in_channels=2048))\n')
    assert tool.main([str(r50), packaged['ckpt'], '--out-dir', str(tmp_path / 'x')]) == 2
    assert 'does not match' in capsys.readouterr().err
    assert tool.main([TINY_CONFIG, str(tmp_path / 'missing.pth')]) == 2
    assert 'checkpoint file not found' in capsys.readouterr().err


def test_wheel_carries_packaged_models(packaged, tmp_path):
    """A packaged model in headpose/model_zoo goes into the wheel, and loads from it."""
    src = tmp_path / 'src'
    skip = {'.git', '.venv', 'work_dirs', 'data', 'build', 'dist', 'outputs', '.pytest_cache',
            '.ruff_cache', 'tests', 'docs', 'projects'}

    def ignore(folder, names):
        out = {n for n in names if n in ('__pycache__', '.mim') or n.endswith('.egg-info')}
        if osp.abspath(folder) == osp.abspath(REPO_ROOT):
            out |= skip & set(names)
        if osp.abspath(folder) == osp.abspath(MODEL_ZOO_DIR):  # only the tiny model
            out |= {n for n in names if osp.isdir(osp.join(folder, n))}
        return out

    shutil.copytree(REPO_ROOT, src, ignore=ignore, symlinks=True)
    shutil.copytree(packaged['out'], src / 'headpose' / 'model_zoo' / 'tiny')
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation',
         '--no-index', '-q', '-w', str(tmp_path / 'dist'), str(src)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f'pip wheel failed:\n{proc.stdout}\n{proc.stderr}'
    wheel = next((tmp_path / 'dist').glob('*.whl'))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ('model.pth', 'README.md'):
        assert f'headpose/model_zoo/tiny/{name}' in names, sorted(names)[:20]
    site = tmp_path / 'site'
    zipfile.ZipFile(wheel).extractall(site)
    script = ('import headpose.model_zoo as z; assert z.__file__.startswith(%r); '
              'print(z.packaged_model_path("tiny"))' % str(site))
    proc = subprocess.run([sys.executable, '-c', script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(site), OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(site / 'headpose' / 'model_zoo' / 'tiny' / 'model.pth')


def test_fp32_and_package_give_close_poses_through_init_model(packaged):
    cfg, path, meta = load_packaged_model(str(packaged['out'] / 'model.pth'))
    assert meta['source_checkpoint'] == 'iter_3.pth' and len(meta['source_sha256']) == 64
    model = init_model(cfg, path)
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_model_index_lists_the_default_packaged_model():
    import yaml
    with open(osp.join(REPO_ROOT, 'model-index.yml')) as f:
        packaged = yaml.safe_load(f)['Packaged']
    names = [m['Name'] for m in packaged]
    assert DEFAULT_MODEL in names
    for model in packaged:
        assert osp.isfile(osp.join(REPO_ROOT, model['Config'])), model['Config']
        assert model['Weights'] == f'headpose/model_zoo/{model["Name"]}/model.pth'
        assert model['Model Card'] == f'headpose/model_zoo/{model["Name"]}/README.md'
        weights = osp.join(REPO_ROOT, model['Weights'])
        if osp.isfile(weights):  # once built and committed: a packaged model with its card
            assert load_packaged_model(weights)[2]['name'] == model['Name']
            assert osp.isfile(osp.join(REPO_ROOT, model['Model Card']))
