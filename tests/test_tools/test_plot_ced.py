"""Tests of tools/analysis_tools/plot_ced.py on records with known errors."""

import csv
import json

import numpy as np
import pytest

from headpose.testing import load_script


def load_tool():
    return load_script('tools/analysis_tools/plot_ced.py', 'headpose_plot_ced')


def records(errors, gt=None):
    """Records whose yaw, pitch and roll errors are the given (N, 3) values."""
    errors = np.asarray(errors, dtype=float)
    gt = np.zeros_like(errors) if gt is None else np.asarray(gt, dtype=float)
    pred = gt + errors
    return [dict(img_path=f'img{i}.jpg', gt_yaw=g[0], gt_pitch=g[1], gt_roll=g[2],
                 pred_yaw=p[0], pred_pitch=p[1], pred_roll=p[2]) for i, (g, p) in
            enumerate(zip(gt, pred))]


def test_shares_png_and_csv_input(tmp_path, capsys):
    # yaw errors 1, 6, 12, 25 -> 25 / 50 / 75 / 75 % at <= 5 / 10 / 15 / 20 degrees.
    errs = [[1, 0, 0], [-6, 0, 0], [12, 0, 0], [25, 0, 0]]
    a = tmp_path / 'a.json'
    a.write_text(json.dumps(records(errs)))
    b = tmp_path / 'b.csv'
    with open(b, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(records(errs)[0]))
        writer.writeheader()
        writer.writerows(records(np.asarray(errs) * 0.5))
    out = tmp_path / 'ced.png'
    result = load_tool().main([str(a), str(b), '--out', str(out), '--labels', 'A', 'B'])
    assert result['A']['yaw'] == [0.25, 0.5, 0.75, 0.75]
    assert result['A']['pitch'] == [1.0] * 4
    assert result['B']['yaw'] == [0.5, 0.75, 1.0, 1.0]
    np.testing.assert_allclose(result['A']['mean'], [0.75, 1.0, 1.0, 1.0])  # 1/3, 2, 4, 25/3
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    printed = capsys.readouterr().out
    assert '<= 5 deg' in printed and '25.0%' in printed


def test_wrap_yaw_and_filter(tmp_path):
    recs = records([[358, 0, 0], [1, 0, 0]], gt=[[-179, 0, 0], [50, 0, 0]])
    path = tmp_path / 'r.json'
    path.write_text(json.dumps(recs))
    tool = load_tool()
    out = str(tmp_path / 'c.png')
    assert tool.main([str(path), '--out', out])['r']['yaw'] == [0.5] * 4
    assert tool.main([str(path), '--out', out, '--wrap-yaw'])['r']['yaw'] == [1.0] * 4
    filtered = tool.main([str(path), '--out', out, '--filter-abs-angle', '99'])
    assert filtered['r']['yaw'] == [1.0] * 4


def test_bad_inputs(tmp_path):
    tool = load_tool()
    path = tmp_path / 'nogt.json'
    path.write_text(json.dumps([dict(img_path='x', pred_yaw=1, pred_pitch=2, pred_roll=3)]))
    with pytest.raises(ValueError, match=r'nogt\.json: the records have no gt_yaw'):
        tool.main([str(path), '--out', str(tmp_path / 'x.png')])
    good = tmp_path / 'good.json'
    good.write_text(json.dumps(records([[1, 1, 1]])))
    with pytest.raises(SystemExit, match='2 labels for 1 files'):
        tool.main([str(good), '--out', str(tmp_path / 'x.png'), '--labels', 'a', 'b'])
    with pytest.raises(FileNotFoundError, match='missing.json'):
        tool.main([str(tmp_path / 'missing.json'), '--out', str(tmp_path / 'x.png')])
