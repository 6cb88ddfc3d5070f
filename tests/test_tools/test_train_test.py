"""End-to-end tests of tools/train.py, tools/test.py and tools/dist_train.sh on tiny runs."""

import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import pytest
import torch

from headpose.testing import REPO_ROOT, tool_env
from headpose.utils import malloc

TINY = osp.join(REPO_ROOT, 'tests/data/configs/tiny_rankpose_synthheads.py')
TINY_COCO = osp.join(REPO_ROOT, 'tests/data/configs/tiny_rankpose_coco.py')
TINY_ITERS = osp.join(REPO_ROOT, 'tests/data/configs/tiny_rankpose_synthheads_iters.py')


def start(args):
    """Starts a tool in the background, its output captured."""
    return subprocess.Popen([sys.executable] + args, cwd=REPO_ROOT, env=tool_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(args, check=True, env=None):
    proc = subprocess.run([sys.executable] + args, cwd=REPO_ROOT, capture_output=True,
                          text=True, env=tool_env(env), timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc


def run_together(*arg_lists):
    """Runs independent commands side by side (one thread each, as ``run``): the suite
    waits for the slower one, not for the sum. Returns each command's stdout + stderr."""
    procs = [start(args) for args in arg_lists]
    outputs = []
    try:
        for args, proc in zip(arg_lists, procs):
            out, err = proc.communicate(timeout=600)
            if proc.returncode != 0:
                raise AssertionError(f'{args} failed:\n{out[-3000:]}\n{err[-3000:]}')
            outputs.append(out + err)
        return outputs
    finally:  # a failure above leaves no run behind
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


def scalars(work_dir):
    runs = sorted(d for d in os.listdir(work_dir) if osp.isdir(osp.join(work_dir, d, 'vis_data')))
    with open(osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')) as f:
        return [json.loads(line) for line in f]


def test_training_lowers_the_loss_and_test_writes_records(tmp_path):
    work = str(tmp_path / 'run')
    proc = run(['tools/train.py', TINY, '--work-dir', work, '--cfg-options',
                'train_cfg.max_epochs=4', 'param_scheduler.0.T_max=4',
                'param_scheduler.0.end=4', 'train_cfg.val_interval=4'])
    logs = [r for r in scalars(work) if 'loss' in r]
    if malloc._libc() is not None:  # the runtime config's env_cfg.malloc_cfg, on glibc
        assert 'env_cfg.malloc_cfg applied' in proc.stdout + proc.stderr
    first = [r['loss'] for r in logs if r['epoch'] == 1]
    last = [r['loss'] for r in logs if r['epoch'] == 4]
    assert sum(last) / len(last) < 0.7 * sum(first) / len(first)
    # The test, and the same with the inference speed-ups, side by side.
    ckpt = osp.join(work, 'epoch_4.pth')
    out, fast_out = str(tmp_path / 'results.json'), str(tmp_path / 'fast.json')
    log, fast_log = run_together(
        ['tools/test.py', TINY, ckpt, '--work-dir', str(tmp_path / 'test'), '--out', out,
         '--show-dir', str(tmp_path / 'vis')],
        ['tools/test.py', TINY, ckpt, '--work-dir', str(tmp_path / 'test_fast'), '--out',
         fast_out, '--fuse-conv-bn', '--channels-last'])
    assert 'pose/MAE' in log
    records = json.load(open(out))
    assert len(records) == 16
    assert set(records[0]) == {'img_path', 'gt_yaw', 'gt_pitch', 'gt_roll', 'pred_yaw',
                               'pred_pitch', 'pred_roll'}
    assert osp.isfile(tmp_path / 'vis' / 'montage.jpg')
    assert cv2.imread(str(tmp_path / 'vis' / 'montage.jpg')) is not None
    # The inference speed-ups give the same predictions, to float rounding.
    assert 'fuse_conv_bn=True, channels_last=True' in fast_log
    fast = json.load(open(fast_out))
    for a, b in zip(records, fast):
        assert a['img_path'] == b['img_path']
        for key in ('pred_yaw', 'pred_pitch', 'pred_roll'):
            assert abs(a[key] - b[key]) < 1e-2


def assert_same_weights(path_a: str, path_b: str) -> None:
    """The two checkpoints hold bit-identical weights (and buffers)."""
    a = torch.load(path_a, map_location='cpu')['state_dict']
    b = torch.load(path_b, map_location='cpu')['state_dict']
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=k)


def test_resume_gives_the_same_weights(tmp_path):
    straight, split = str(tmp_path / 'straight'), str(tmp_path / 'split')
    run_together(['tools/train.py', TINY, '--work-dir', straight],
                 ['tools/train.py', TINY, '--work-dir', split, '--cfg-options',
                  'train_cfg.max_epochs=1'])
    assert osp.isfile(osp.join(split, 'epoch_1.pth')) and not osp.isfile(
        osp.join(split, 'epoch_2.pth'))
    run(['tools/train.py', TINY, '--work-dir', split, '--resume'])
    assert_same_weights(osp.join(straight, 'epoch_2.pth'), osp.join(split, 'epoch_2.pth'))


def test_rerun_keeps_earlier_checkpoints(tmp_path):
    work = str(tmp_path / 'run')
    opts = ['--cfg-options', 'train_cfg.max_epochs=1']
    run(['tools/train.py', TINY, '--work-dir', work] + opts)
    first = torch.load(osp.join(work, 'epoch_1.pth'), map_location='cpu')['state_dict']
    run(['tools/train.py', TINY, '--work-dir', work] + opts)
    kept = [osp.join(r, f) for r, _, fs in os.walk(osp.join(work, 'previous_runs'))
            for f in fs if f == 'epoch_1.pth']
    assert len(kept) == 1
    old = torch.load(kept[0], map_location='cpu')['state_dict']
    for k in first:
        torch.testing.assert_close(old[k], first[k], rtol=0, atol=0)


def test_dist_train_two_cpu_processes(tmp_path):
    work = str(tmp_path / 'dist')
    env = dict(os.environ, OMP_NUM_THREADS='1', PORT='29617', PYTHON=sys.executable)
    proc = subprocess.run(['bash', 'tools/dist_train.sh', TINY, '2', '--work-dir', work,
                           '--cfg-options', 'train_cfg.max_epochs=1'], cwd=REPO_ROOT,
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    log = open(next(osp.join(r, f) for r, _, fs in os.walk(work) for f in fs
                    if f.endswith('.log'))).read()
    # mmengine calls the world size 'GPU number' even when the processes run on the CPU.
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert "'backend': 'gloo'" in log
    # 32 pairs, batch 8 per process, 2 processes -> 2 iterations in the epoch.
    assert 'Epoch(train) [1][2/2]' in log
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    # Testing with 2 processes gives the records and metrics of 1 process (batch 3, so
    # that the last batch is partial and the sampler pads).
    one, two = str(tmp_path / 'one.json'), str(tmp_path / 'two.json')
    opts = ['--cfg-options', 'test_dataloader.batch_size=3']
    single = run(['tools/test.py', TINY, ckpt, '--work-dir', work, '--out', one] + opts)
    proc = subprocess.run(['bash', 'tools/dist_test.sh', TINY, ckpt, '2', '--work-dir', work,
                           '--out', two] + opts, cwd=REPO_ROOT, capture_output=True,
                          text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rec_one = sorted(json.load(open(one)), key=lambda r: r['img_path'])
    rec_two = sorted(json.load(open(two)), key=lambda r: r['img_path'])
    assert len(rec_one) == len(rec_two) == 16
    for a, b in zip(rec_one, rec_two):
        assert a['img_path'] == b['img_path']
        for k in ('gt_yaw', 'pred_yaw', 'pred_pitch', 'pred_roll'):
            assert a[k] == pytest.approx(b[k], abs=1e-4)
    mae = [line for line in (single.stdout + single.stderr).splitlines() if 'pose/MAE' in line]
    mae_two = [line for line in (proc.stdout + proc.stderr).splitlines() if 'pose/MAE' in line]
    value = lambda line: float(line.split('pose/MAE:')[1].split()[0])  # noqa: E731
    assert value(mae[-1]) == pytest.approx(value(mae_two[-1]), abs=1e-3)


@pytest.fixture(scope='module')
def synth_files(tmp_path_factory):
    import runpy
    root = tmp_path_factory.mktemp('synth')
    mod = runpy.run_path(osp.join(REPO_ROOT, 'tools/dataset_converters/make_synthheads.py'))
    ann = mod['main']([str(root), '--num-samples', '16', '--num-identities', '4',
                       '--img-size', '48'])
    return str(root), ann


def coco_opts(root, ann, extra=()):
    return ['--cfg-options', f'train_dataloader.dataset.dataset.ann_file={ann}',
            f'train_dataloader.dataset.dataset.data_prefix.img={root}/images',
            f'test_dataloader.dataset.ann_file={ann}',
            f'test_dataloader.dataset.data_prefix.img={root}/images',
            f'val_dataloader.dataset.ann_file={ann}',
            f'val_dataloader.dataset.data_prefix.img={root}/images', *extra]


def test_unreadable_training_image_is_replaced_and_counted(synth_files, tmp_path):
    root, ann = synth_files
    broken = osp.join(root, 'images', '000003.png')
    cut = osp.join(root, 'images', '000005.png')
    backup, cut_backup = open(broken, 'rb').read(), open(cut, 'rb').read()
    try:
        with open(broken, 'wb') as f:
            f.write(b'garbage')
        with open(cut, 'wb') as f:  # the first third of a PNG: decodes half grey
            f.write(cut_backup[:len(cut_backup) // 3])
        work = str(tmp_path / 'bad')
        run(['tools/train.py', TINY_COCO, '--work-dir', work] +
            coco_opts(root, ann, ['train_cfg.max_epochs=1', 'val_cfg=None',
                                       'val_dataloader=None', 'val_evaluator=None']))
        log = open(next(osp.join(r, f) for r, _, fs in os.walk(work) for f in fs
                        if f.endswith('.log'))).read()
        assert 'skipping an unreadable training image' in log and '000003.png' in log
        assert 'truncated PNG file (no IEND chunk)' in log and '000005.png' in log
        assert 'epoch 1: 2 unreadable training image(s) were replaced' in log
        proc = run(['tools/test.py', TINY_COCO, osp.join(work, 'epoch_1.pth'), '--work-dir',
                    work] + coco_opts(root, ann), check=False)
        assert proc.returncode != 0 and '000003.png' in proc.stderr
        with open(broken, 'wb') as f:
            f.write(backup)
        proc = run(['tools/test.py', TINY_COCO, osp.join(work, 'epoch_1.pth'), '--work-dir',
                    work] + coco_opts(root, ann), check=False)
        assert proc.returncode != 0 and 'truncated PNG file' in proc.stderr
        assert '000005.png' in proc.stderr
    finally:
        with open(broken, 'wb') as f:
            f.write(backup)
        with open(cut, 'wb') as f:
            f.write(cut_backup)


class _Payload:
    """Unpickling this would create a file: loading must refuse it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_test_tool_never_unpickles_arbitrary_objects(tmp_path):
    from mmengine.config import Config

    from headpose.registry import MODELS
    model = MODELS.build(Config.fromfile(TINY).model)
    marker = tmp_path / 'pwned'
    ckpt = tmp_path / 'evil.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {'x': _Payload(str(marker))}}, ckpt)
    proc = run(['tools/test.py', TINY, str(ckpt), '--work-dir', str(tmp_path / 'w')],
               check=False)
    assert proc.returncode != 0 and 'weights_only' in proc.stderr.lower().replace(' ', '_')
    assert not marker.exists()


def test_resume_without_a_checkpoint_says_so(tmp_path, capsys):
    import runpy
    train = runpy.run_path(osp.join(REPO_ROOT, 'tools/train.py'))
    empty = str(tmp_path / 'empty')
    cfg = train['build_cfg'](train['parse_args']([TINY, '--work-dir', empty, '--resume']))
    assert not cfg.resume  # starts from scratch, and says so naming the folder
    assert f'no checkpoint to resume in {empty}' in capsys.readouterr().err
    with pytest.raises(SystemExit, match='checkpoint not found: .*missing.pth'):
        train['build_cfg'](train['parse_args']([TINY, '--work-dir', empty, '--resume',
                                                str(tmp_path / 'missing.pth')]))


def test_resume_without_last_checkpoint_and_the_leftover_of_a_killed_save(tmp_path):
    work = tmp_path / 'w'
    run(['tools/train.py', TINY, '--work-dir', str(work), '--cfg-options',
         'train_cfg.max_epochs=1'])
    os.remove(work / 'last_checkpoint')
    leftover = work / '.epoch_2.pth.abcd1234.tmp'  # a save killed with kill -9
    leftover.write_bytes(b'\0' * 1000)
    proc = run(['tools/train.py', TINY, '--work-dir', str(work), '--resume'])
    assert ('has no last_checkpoint file; resuming from its newest complete checkpoint, '
            f'{work}/epoch_1.pth') in proc.stderr
    assert not leftover.exists() and osp.isfile(work / 'epoch_2.pth')
    assert not osp.exists(work / 'previous_runs')  # resumed: nothing moved aside
    logs = sorted(osp.join(r, f) for r, _, fs in os.walk(work) for f in fs if f.endswith('.log'))
    log = open(logs[-1]).read()
    assert f'removed .epoch_2.pth.abcd1234.tmp (0.0 MiB) from {work}' in log
    assert 'Epoch(train) [2]' in log and 'Epoch(train) [1]' not in log


def test_train_refuses_malformed_cfg_options(tmp_path):
    base = ['tools/train.py', TINY, '--work-dir', str(tmp_path / 'w'), '--cfg-options']
    proc = run(base + ['trian_cfg.max_epochs=1'], check=False)
    assert proc.returncode != 0 and "'trian_cfg'; did you mean 'train_cfg'" in proc.stderr
    proc = run(base + ['max_epochs'], check=False)
    assert proc.returncode == 2 and "'max_epochs' is not KEY=VALUE" in proc.stderr
    proc = run(base + ['default_hooks.checkpoint.intervall=1'], check=False)
    assert proc.returncode != 0
    assert "CheckpointHook takes no option 'intervall' (did you mean 'interval'?)" in proc.stderr
    assert 'Traceback' not in proc.stderr
    assert not osp.exists(tmp_path / 'w')  # refused before anything was written


def test_test_tool_refuses_a_checkpoint_of_another_model(tmp_path):
    from mmengine.config import Config

    from headpose.registry import MODELS
    from headpose.testing.multitask_net import tiny_multitask_cfg
    model = MODELS.build(Config(dict(model=tiny_multitask_cfg())).model)
    ckpt = tmp_path / 'multitask.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    proc = run(['tools/test.py', TINY, str(ckpt), '--work-dir', str(tmp_path / 'w')],
               check=False)
    assert proc.returncode != 0 and 'CheckpointMismatchError' in proc.stderr
    assert f'checkpoint {ckpt} does not match the model' in proc.stderr
    assert 'pose/MAE' not in proc.stdout + proc.stderr  # no metrics of a random model


def test_a_failed_checkpoint_save_leaves_no_truncated_file(tmp_path):
    # A full disk at the checkpoint's flush: os.fsync fails with ENOSPC.
    site = tmp_path / 'site'
    site.mkdir()
    (site / 'sitecustomize.py').write_text(
        'import errno, os\n'
        'def _full(fd):\n'
        '    raise OSError(errno.ENOSPC, "No space left on device")\n'
        'os.fsync = _full\n')
    work = tmp_path / 'w'
    env = dict(PYTHONPATH=f'{site}:{REPO_ROOT}')
    proc = run(['tools/train.py', TINY, '--work-dir', str(work), '--cfg-options',
                'train_cfg.max_epochs=1'], check=False, env=env)
    assert proc.returncode != 0
    assert f'cannot write {work}/epoch_1.pth' in proc.stderr and 'MiB free in' in proc.stderr
    assert 'No space left on device' in proc.stderr
    left = [n for n in os.listdir(work) if n.endswith(('.pth', '.tmp'))]
    assert left == []  # neither a truncated epoch_1.pth nor a temporary file


def test_a_second_run_in_a_busy_work_dir_is_refused(tmp_path):
    import json
    import socket

    from headpose.utils.launch import LOCK_NAME
    work = tmp_path / 'w'
    work.mkdir()
    # A live run on this host owns the work dir (this test process stands for it).
    (work / LOCK_NAME).write_text(json.dumps(dict(
        pid=os.getpid(), host=socket.gethostname(), start='2026-01-01 00:00:00',
        command='tools/train.py A')))
    proc = run(['tools/train.py', TINY, '--work-dir', str(work)], check=False)
    assert proc.returncode != 0
    assert f'work dir {work} is in use by another run (pid {os.getpid()}' in proc.stderr
    assert sorted(os.listdir(work)) == [LOCK_NAME]  # nothing written by the refused run


def test_two_runs_started_together_in_one_work_dir(tmp_path):
    work = str(tmp_path / 'w')
    cmd = ['tools/train.py', TINY, '--work-dir', work, '--cfg-options',
           'train_cfg.max_epochs=1']
    procs = [start(cmd) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes[0] == 0 and codes[1] != 0, outs
    refused = next(err for p, (_, err) in zip(procs, outs) if p.returncode != 0)
    assert f'work dir {work} is in use by another run' in refused
    runs = [d for d in os.listdir(work) if osp.isdir(osp.join(work, d, 'vis_data'))]
    assert len(runs) == 1 and osp.isfile(osp.join(work, 'epoch_1.pth'))


def test_iteration_based_resume_gives_the_same_weights(tmp_path):
    # mmengine replays the skipped batches through the pipeline on resume: they must not
    # draw from the restored random state (RNGStateHook restores it after the replay).
    straight, split = str(tmp_path / 'straight'), str(tmp_path / 'split')
    run_together(['tools/train.py', TINY_ITERS, '--work-dir', straight],
                 ['tools/train.py', TINY_ITERS, '--work-dir', split, '--cfg-options',
                  'train_cfg.max_iters=3'])
    assert not osp.isfile(osp.join(split, 'iter_6.pth'))
    run(['tools/train.py', TINY_ITERS, '--work-dir', split, '--resume'])
    assert_same_weights(osp.join(straight, 'iter_6.pth'), osp.join(split, 'iter_6.pth'))


@pytest.mark.skipif(torch.cuda.is_available(), reason='the CPU path of --amp')
def test_amp_without_a_gpu_trains_in_bfloat16(tmp_path):
    work = str(tmp_path / 'amp')
    proc = run(['tools/train.py', TINY, '--work-dir', work, '--amp', '--cfg-options',
                'train_cfg.max_epochs=1'])
    assert 'training under CPU bfloat16 autocast' in proc.stderr
    losses = [r['loss'] for r in scalars(work) if 'loss' in r]
    assert losses and all(abs(v) < float("inf") for v in losses)
    ckpt = torch.load(osp.join(work, 'epoch_1.pth'), map_location='cpu')
    assert all(v.dtype != torch.bfloat16 for v in ckpt['state_dict'].values())


def test_load_from_refuses_a_checkpoint_of_another_model(tmp_path):
    from headpose.registry import MODELS
    from headpose.testing.multitask_net import tiny_multitask_cfg
    ckpt = tmp_path / 'multitask.pth'
    torch.save({'state_dict': MODELS.build(tiny_multitask_cfg()).state_dict()}, ckpt)
    proc = run(['tools/train.py', TINY, '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                f'load_from={ckpt}'], check=False)
    assert proc.returncode != 0 and 'CheckpointMismatchError' in proc.stderr
    assert not osp.exists(tmp_path / 'w' / 'epoch_1.pth')
