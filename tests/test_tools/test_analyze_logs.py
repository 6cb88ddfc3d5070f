"""Tests of tools/analysis_tools/analyze_logs.py: curves from a real run, times from a known log."""

import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

from headpose.testing import REPO_ROOT, load_script, tool_env

TINY = osp.join(REPO_ROOT, 'tests/data/configs/tiny_rankpose_synthheads.py')


def load_tool():
    return load_script('tools/analysis_tools/analyze_logs.py', 'headpose_analyze_logs')


@pytest.fixture(scope='module')
def tool():
    return load_tool()


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """The work dir of a real one-epoch tiny training run (4 iterations, logged each)."""
    work = str(tmp_path_factory.mktemp('run') / 'tiny')
    proc = subprocess.run([sys.executable, 'tools/train.py', TINY, '--work-dir', work,
                           '--cfg-options', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=1'],
                          cwd=REPO_ROOT, env=tool_env(), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return work


def test_plot_curve_of_a_real_log_writes_the_loss_curve(tool, trained, tmp_path):
    out = str(tmp_path / 'curve.png')
    points = tool.main(['plot_curve', trained, '--keys', 'loss', 'loss_mse', 'pose/MAE',
                        '--out', out])
    # The plotted points are the log's: 4 iterations of loss, one validation MAE.
    log = tool.find_log(trained)
    with open(log) as f:
        records = [json.loads(line) for line in f]
    losses = [r['loss'] for r in records if 'loss' in r]
    (label, curves), = points.items()
    assert label == 'tiny'
    np.testing.assert_allclose(curves['loss'][1], losses)
    np.testing.assert_array_equal(curves['loss'][0], [1, 2, 3, 4])
    assert len(curves['pose/MAE'][1]) == 1 and curves['pose/MAE'][0][0] == 1  # epoch 1
    with open(out, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    img = cv2.imread(out)
    assert img is not None and img.shape[1] > 3 * img.shape[0]  # three panels side by side
    # The default first colour of matplotlib (#1f77b4, BGR 180 119 31) draws the curves.
    blue = np.all(np.abs(img.astype(int) - (180, 119, 31)) < 40, axis=2)
    assert blue.sum() > 200
    assert img.std() > 20  # not a blank canvas


def test_plot_curve_names_a_missing_key_and_the_known_ones(tool, trained, tmp_path):
    with pytest.raises(SystemExit) as err:
        tool.main(['plot_curve', trained, '--keys', 'loss_nope', '--out',
                   str(tmp_path / 'x.png')])
    assert "no 'loss_nope'" in str(err.value) and 'loss_rank' in str(err.value)


def write_log(path, records):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        for r in records:
            f.write(json.dumps(r) + '\n')


# Four iterations an epoch, logged every second one; a validation line after each epoch.
HAND_LOG = [
    dict(lr=1e-3, loss=2.0, time=0.5, epoch=1, iter=2, step=2),
    dict(lr=1e-3, loss=1.5, time=0.7, epoch=1, iter=4, step=4),
    {'pose/MAE': 20.0, 'time': 0.1, 'step': 1},
    dict(lr=1e-3, loss=1.0, time=1.0, epoch=2, iter=6, step=6),
    dict(lr=1e-3, loss=0.8, time=1.2, epoch=2, iter=8, step=8),
    {'pose/MAE': 15.0, 'time': 0.1, 'step': 2},
]


def test_cal_train_time_on_a_hand_written_log(tool, tmp_path, capsys):
    log = str(tmp_path / 'work' / '20260101_000000' / 'vis_data' / 'scalars.json')
    write_log(log, HAND_LOG)
    result = tool.main(['cal_train_time', str(tmp_path / 'work')])
    (epochs, ) = [r['epochs'] for r in result.values()]
    # Epoch 1 leaves its first logged time out (start-up): 0.7 s x 4 iterations.
    assert epochs[1]['iters'] == 4 and epochs[1]['sec_per_iter'] == pytest.approx(0.7)
    assert epochs[1]['epoch_time'] == pytest.approx(2.8)
    assert epochs[2]['iters'] == 4 and epochs[2]['sec_per_iter'] == pytest.approx(1.1)
    assert epochs[2]['epoch_time'] == pytest.approx(4.4)
    printed = capsys.readouterr().out
    assert '| 1     | 2              | 4          | 0.7000   | 2.8' in printed
    assert '| 2     | 2              | 4          | 1.1000   | 4.4' in printed
    assert 'slowest epoch 2: 1.1000 s/iter' in printed
    assert 'fastest epoch 1: 0.7000 s/iter' in printed
    assert 'average: 0.9000 s/iter; estimated training time: 7.2 s' in printed

    result = tool.main(['cal_train_time', log, '--include-outliers'])
    assert result[log]['epochs'][1]['sec_per_iter'] == pytest.approx(0.6)
    assert result[log]['epochs'][1]['epoch_time'] == pytest.approx(2.4)


def test_work_dir_resolves_to_the_latest_training_run(tool, tmp_path):
    work = tmp_path / 'work'
    train_log = str(work / '20260101_000000' / 'vis_data' / 'scalars.json')
    write_log(train_log, HAND_LOG)
    # A later test run logs metrics only: it is not the log to plot or time.
    write_log(str(work / '20260102_000000' / 'vis_data' / 'scalars.json'),
              [{'pose/MAE': 14.0, 'step': 0}])
    assert tool.find_log(str(work)) == train_log
    with pytest.raises(FileNotFoundError, match='no vis_data/scalars.json'):
        tool.find_log(str(tmp_path))
    bad = str(tmp_path / 'bad.json')
    with open(bad, 'w') as f:
        f.write('{"loss": 1}\nnot json\n')
    with pytest.raises(SystemExit, match='bad.json:2'):
        tool.main(['cal_train_time', bad])
