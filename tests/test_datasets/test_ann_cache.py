"""Tests of the annotation cache: reuse, invalidation, its location, and the compact index."""

import os
import os.path as osp
import sys

import numpy as np
import pytest
import scipy.io as sio

import headpose.datasets.ann_cache as ann_cache
import headpose.datasets.w300lp as w300lp
from headpose.datasets import PoseTable, W300LPDataset
from headpose.structures import matrix_to_euler
from headpose.testing import REPO_ROOT


def write_mat(path, yaw):
    pose = np.zeros((1, 7), np.float32)
    pose[0, 1] = np.radians(yaw)
    pt2d = np.stack([np.linspace(100, 200, 68), np.linspace(120, 240, 68)])
    sio.savemat(str(path), dict(Pose_Para=pose, pt2d=pt2d))
    open(str(path)[:-4] + '.jpg', 'wb').close()


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.delenv('HEADPOSE_CACHE_DIR', raising=False)
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    folder = tmp_path / '300W_LP' / 'AFW'
    folder.mkdir(parents=True)
    for i in range(3):
        write_mat(folder / f'AFW_1_1_{i}.mat', yaw=10.0 * i)
    return tmp_path / '300W_LP'


def build(root, **kw):
    return W300LPDataset(data_root=str(root), subsets=['AFW'], pipeline=[], **kw)


def yaws(ds):
    return [round(float(matrix_to_euler(ds.get_data_info(i)['gt_rotations'][0])[0]), 3)
            for i in range(len(ds))]


def forbid_parsing(monkeypatch):
    def fail(path):
        raise AssertionError(f'parsed {path} although the cache is valid')
    monkeypatch.setattr(w300lp, 'parse_w300lp_mat', fail)


def test_second_start_reads_the_cache_in_the_data_root(root, monkeypatch):
    assert yaws(build(root)) == [0, 10, 20]
    files = os.listdir(root / '.headpose_cache')
    assert len(files) == 1 and files[0].startswith('300wlp_AFW_') and files[0].endswith('.npz')
    forbid_parsing(monkeypatch)
    assert yaws(build(root)) == [0, 10, 20]


def test_changed_added_and_removed_files_invalidate_the_cache(root, monkeypatch):
    cache = str(root.parent / 'cache')
    build(root, cache_dir=cache)
    folder = root / 'AFW'
    st = os.stat(folder / 'AFW_1_1_1.mat')
    write_mat(folder / 'AFW_1_1_1.mat', yaw=-33.0)  # same size, new content
    os.utime(folder / 'AFW_1_1_1.mat', ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert yaws(build(root, cache_dir=cache)) == [0, -33, 20]
    write_mat(folder / 'AFW_1_1_3.mat', yaw=30.0)
    assert yaws(build(root, cache_dir=cache)) == [0, -33, 20, 30]
    os.remove(folder / 'AFW_1_1_0.mat')
    assert yaws(build(root, cache_dir=cache)) == [-33, 20, 30]
    forbid_parsing(monkeypatch)
    assert yaws(build(root, cache_dir=cache)) == [-33, 20, 30]


def test_read_only_data_root_falls_back_to_the_user_cache(root, monkeypatch):
    data_cache = str(root / '.headpose_cache')
    if os.geteuid() == 0:  # root may write anywhere: make the data root look read-only
        real = ann_cache._writable_dir
        monkeypatch.setattr(ann_cache, '_writable_dir',
                            lambda d: False if d == data_cache else real(d))
    os.chmod(root, 0o555)
    try:
        assert yaws(build(root)) == [0, 10, 20]
        user = root.parent / 'xdg' / 'headpose' / 'annotations'
        assert len(os.listdir(user)) == 1 and not osp.exists(data_cache)
        forbid_parsing(monkeypatch)
        assert yaws(build(root)) == [0, 10, 20]
    finally:
        os.chmod(root, 0o755)


def test_cache_dir_environment_variable_and_disabling(root, monkeypatch, tmp_path):
    monkeypatch.setenv('HEADPOSE_CACHE_DIR', str(tmp_path / 'env_cache'))
    build(root)
    assert len(os.listdir(tmp_path / 'env_cache')) == 1
    assert not osp.exists(root / '.headpose_cache')
    monkeypatch.delenv('HEADPOSE_CACHE_DIR')
    build(root, cache=False)
    assert not osp.exists(root / '.headpose_cache')
    assert ann_cache.cache_dirs('/d', None) == ['/d/.headpose_cache', ann_cache.user_cache_dir()]
    assert ann_cache.cache_dirs('/d', '/explicit') == ['/explicit']


def test_a_corrupt_cache_is_parsed_again(root):
    cache = root.parent / 'cache'
    build(root, cache_dir=str(cache))
    name = os.listdir(cache)[0]
    (cache / name).write_bytes(b'not an npz')
    assert yaws(build(root, cache_dir=str(cache))) == [0, 10, 20]
    assert np.load(cache / name)['stems'].shape == (3, )


def test_pose_table_is_a_compact_sequence(root):
    ds = build(root, cache=False)
    table = ds.data_list
    assert isinstance(table, PoseTable) and len(table) == 3
    assert table.nbytes / len(table) < 200
    sub = table[1:]
    assert isinstance(sub, PoseTable) and len(sub) == 2
    assert sub[0]['img_path'] == table[1]['img_path']
    assert [d['identity'] for d in table.take([2, 0])] == ['AFW/AFW_1_1'] * 2
    with pytest.raises(IndexError):
        table[3]
    # mmengine's options keep working on the table
    assert yaws(build(root, cache=False, indices=2)) == [0, 10]
    assert yaws(build(root, cache=False, indices=[2, 0])) == [20, 0]
    assert yaws(build(root, cache=False, serialize_data=True)) == [0, 10, 20]
    subset = ds.get_subset([1])
    assert len(subset) == 1 and yaws(subset) == [10]


def test_benchmark_tool_builds_and_measures_a_small_index(tmp_path):
    sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis_tools'))
    try:
        import benchmark_w300lp_index as bench
    finally:
        sys.path.pop(0)
    num = bench.make_fake_300wlp(str(tmp_path / '300W_LP'), 24)
    assert num == 24 and sorted(os.listdir(tmp_path / '300W_LP')) == sorted(
        w300lp.W300LP_SUBSETS)
    first = bench.measure(str(tmp_path / '300W_LP'), str(tmp_path / 'cache'))
    assert first['num_images'] == 24 and first['rss_peak_mb'] > 0
    assert len(os.listdir(tmp_path / 'cache')) == 8


def test_images_without_an_annotation_are_named_in_the_log(root):
    import logging

    from mmengine.logging import MMLogger
    for i in range(7):  # images without a .mat (e.g. an AFLW2000 .jpg whose .mat is gone)
        open(root / 'AFW' / f'lonely_{i}.jpg', 'wb').close()
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logger.addHandler(handler)
    try:
        ds = build(root)
    finally:
        logger.removeHandler(handler)
    assert len(ds) == 3
    log = '\n'.join(records)
    assert f'W300LPDataset: 7 .jpg images in {root / "AFW"} have no .mat annotation' in log
    assert 'lonely_0.jpg, lonely_1.jpg, lonely_2.jpg, lonely_3.jpg, lonely_4.jpg' in log
    assert 'lonely_5.jpg' not in log


def test_the_cache_is_written_by_the_shared_atomic_writer(root, monkeypatch):
    import headpose.utils.checkpoint_io as checkpoint_io
    written = []
    original = checkpoint_io.write_atomically

    def spy(data, path):
        written.append(path)
        original(data, path)

    monkeypatch.setattr(ann_cache, 'write_atomically', spy)
    build(root)
    assert len(written) == 1 and written[0].endswith('.npz')
    assert not [n for n in os.listdir(osp.dirname(written[0])) if n.endswith('.tmp')]
    forbid_parsing(monkeypatch)
    assert yaws(build(root)) == [0.0, 10.0, 20.0]
