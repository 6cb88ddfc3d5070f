"""A smoke test of tools/analysis_tools/benchmark.py: every task runs and reports sane figures."""

import os.path as osp
import runpy
import statistics

import pytest

from headpose.testing import REAL_SAMPLES, REPO_ROOT

TINY = osp.join(REPO_ROOT, 'tests/data/configs/tiny_rankpose_synthheads.py')


@pytest.fixture(scope='module')
def bench():
    return runpy.run_path(osp.join(REPO_ROOT, 'tools/analysis_tools/benchmark.py'))['main']


def test_train_task(bench):
    res = bench([TINY, '--task', 'train', '--iters', '3', '--warmup', '1', '--rounds', '2',
                 '--batch-size', '8'])
    assert res['images'] == 8 and min(res['toolbox']) > 0 and min(res['bare']) > 0
    # one bare step after each timed toolbox iteration, warm-up left out
    assert len(res['step_ratios']) == 6 and len(res['ratio']) == 2
    assert res['ratio'][1] == sorted(res['step_ratios'][3:])[1]
    assert res['median_ratio'] == pytest.approx(statistics.median(res['step_ratios']))
    assert res['matmul_gflops'] > 0 and res['peak_rss_mb'] > 100
    # r18 at 32x32: 2 x 1.82 GMAC x (32/224)^2 = about 0.074 GFLOP per image
    assert res['model_gflops'] == pytest.approx(0.0745, rel=0.05)


def test_inference_and_data_tasks(bench):
    res = bench([TINY, '--task', 'inference', '--iters', '2', '--warmup', '1', '--rounds', '1'])
    assert res['toolbox'] > 0 and res['toolbox_p90_ms'] >= res['toolbox_p50_ms'] > 0
    res = bench([TINY, '--task', 'data', '--iters', '1'])
    assert res['pipeline'] > 0 and res['images'] == 10


@pytest.mark.skipif(not osp.isdir(osp.join(REAL_SAMPLES, 'aflw2000')),
                    reason='needs ../shared/data/real_samples/aflw2000')
def test_data_task_on_jpegs_against_the_decode_floor(bench):
    config = osp.join(REPO_ROOT, 'configs/rankpose/r50_arccos_300wlp.py')
    res = bench([config, '--task', 'data', '--iters', '1', '--rounds', '3',
                 '--images', osp.join(REAL_SAMPLES, 'aflw2000')])
    assert res['images'] == 10 and res['rounds'] == 3 and len(res['ratios']) == 3
    assert res['floor'] > 0 and res['pipeline'] > 0
    assert res['ratio'] == sorted(res['ratios'])[1]  # the median round


def test_compile_compiles_the_toolbox_model_once(bench, monkeypatch):
    from headpose.models.utils.compile import compile_model, is_compiled
    compiled = []

    def compile_eagerly(model):  # dynamo's tracing without inductor's code generation
        compiled.append(model)
        return compile_model(model, backend='eager')

    monkeypatch.setitem(bench.__globals__, 'compile_model', compile_eagerly)
    res = bench([TINY, '--task', 'inference', '--iters', '2', '--warmup', '1', '--rounds', '1',
                 '--compile'])
    assert len(compiled) == 1 and is_compiled(compiled[0].backbone)
    assert res['first_step_s'] > 0 and res['median_ratio'] > 0
    res = bench([TINY, '--task', 'train', '--iters', '2', '--warmup', '1', '--rounds', '1',
                 '--batch-size', '4', '--compile'])
    assert len(compiled) == 2 and compiled[1].training
    assert res['first_step_s'] > 0 and len(res['step_ratios']) == 2
