"""compile_model / CompileHook / --compile: compiled = eager to float rounding, clear errors."""

import copy
import logging
import os.path as osp
import types

import pytest
import torch

from headpose.engine.hooks import CompileHook
from headpose.models.utils import compile as compile_mod
from headpose.models.utils.compile import compile_model, find_cxx, is_compiled
from headpose.registry import MODELS
from headpose.testing import REPO_ROOT, demo_batch, tiny_rankpose_cfg
from headpose.utils import register_all_modules

register_all_modules()
TINY = osp.join(REPO_ROOT, 'tests/data/configs/tiny_rankpose_synthheads.py')


def tiny_model():
    torch.manual_seed(0)
    model = MODELS.build(tiny_rankpose_cfg())
    model.init_weights()
    return model


def loss_and_grads(model, data):
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    model.zero_grad()
    total.backward()
    grads = [p.grad.clone() for p in model.backbone.parameters() if p.grad is not None]
    return total.detach(), grads


@pytest.mark.skipif(find_cxx() is None, reason='no C++ compiler: inductor cannot run')
def test_compiled_tiny_estimator_matches_eager():
    eager = tiny_model()
    compiled = compile_model(copy.deepcopy(eager))
    assert is_compiled(compiled.backbone) and is_compiled(compiled.neck)
    assert not is_compiled(compiled.head) and not is_compiled(eager.backbone)
    # the state dict is the eager model's: checkpoints do not change
    assert list(compiled.state_dict()) == list(eager.state_dict())
    # training: the same loss and the same gradients
    data = eager.data_preprocessor(demo_batch(4, size=32, paired=True), True)
    eager.train()
    compiled.train()
    loss_e, grads_e = loss_and_grads(eager, data)
    loss_c, grads_c = loss_and_grads(compiled, data)
    torch.testing.assert_close(loss_c, loss_e, atol=1e-4, rtol=1e-4)
    assert len(grads_c) == len(grads_e) > 0
    # relative to each gradient's norm: eager float32 itself is ~1.5e-4 off a float64
    # run here, and compiled ~2e-4 (another order of the sums); single elements near
    # zero differ by more, relatively
    for g_c, g_e in zip(grads_c, grads_e):
        assert (g_c - g_e).norm() <= 2e-3 * g_e.norm()
    # inference
    eager.eval()
    compiled.eval()
    data = eager.data_preprocessor(demo_batch(4, size=32, paired=False), False)
    with torch.no_grad():
        out_e = eager(data['inputs'], mode='tensor')
        out_c = compiled(data['inputs'], mode='tensor')
    torch.testing.assert_close(out_c, out_e, atol=1e-4, rtol=1e-4)


def test_compile_without_a_cxx_compiler_fails_clearly(monkeypatch):
    monkeypatch.delenv('CXX', raising=False)
    monkeypatch.setattr(compile_mod.shutil, 'which', lambda name: None)
    assert find_cxx() is None
    with pytest.raises(RuntimeError, match=r'needs a C\+\+ compiler.*g\+\+.*--compile'):
        compile_model(tiny_model())


def test_compile_model_names_missing_parts():
    with pytest.raises(RuntimeError, match=r"TopDownPoseEstimator has none of the parts "
                                           r"\['decoder'\]"):
        compile_model(tiny_model(), parts=('decoder', ))


def test_compile_hook_compiles_once_before_test():
    model = tiny_model()
    runner = types.SimpleNamespace(model=model, logger=logging.getLogger('test_compile'))
    hook = CompileHook()
    hook.before_test(runner)
    assert is_compiled(model.backbone) and is_compiled(model.neck)
    assert not is_compiled(model.head)
    compiled_call = model.backbone._compiled_call_impl
    hook.before_train(runner)  # a second entry point does not compile again
    assert model.backbone._compiled_call_impl is compiled_call


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_tools_compile_flag_adds_the_hook(tool, tmp_path):
    import runpy
    mod = runpy.run_path(osp.join(REPO_ROOT, 'tools', f'{tool}.py'))
    argv = [TINY] + ([__file__] if tool == 'test' else []) + ['--work-dir', str(tmp_path)]
    plain = mod['build_cfg'](mod['parse_args'](argv))
    assert not any(h['type'] == 'CompileHook' for h in plain.get('custom_hooks') or [])
    cfg = mod['build_cfg'](mod['parse_args'](argv + ['--compile']))
    assert [h['type'] for h in cfg.custom_hooks].count('CompileHook') == 1
