"""Tests of the 300W-LP / AFLW2000 / BIWI -> COCO-style JSON converters (real samples)."""

import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import scipy.io as sio

from headpose.datasets import AFLW2000Dataset, BIWIDataset, TopDownCocoDataset, W300LPDataset
from headpose.testing import REAL_SAMPLES, load_script

needs_real = pytest.mark.skipif(
    not osp.isdir(REAL_SAMPLES),
    reason=f'the real samples are absent ({REAL_SAMPLES}); they are not part of the repo')


def load_tool(name):
    return load_script(f'tools/dataset_converters/{name}.py', f'headpose_converter_{name}')


def link(src_dir, names, dst):
    dst.mkdir(parents=True, exist_ok=True)
    for name in names:
        os.symlink(osp.join(src_dir, name), dst / name)


def assert_round_trip(json_file, data_root, dataset):
    """The JSON read back by TopDownCocoDataset gives the dataset's labels and boxes."""
    coco = TopDownCocoDataset(ann_file=json_file, data_root=data_root, pipeline=[])
    assert len(coco) == len(dataset)
    for i in range(len(dataset)):
        ours, back = dataset.get_data_info(i), coco.get_data_info(i)
        assert osp.normpath(back['img_path']) == osp.normpath(ours['img_path'])
        np.testing.assert_allclose(back['gt_rotations'][0], ours['gt_rotations'][0], atol=1e-9)
        np.testing.assert_allclose(back['gt_bboxes'][0], ours['gt_bboxes'][0], atol=1e-3)
        if ours.get('identity') is not None:
            assert back['identity'] == ours['identity']


def check_layout(coco):
    assert coco['categories'] == [dict(id=1, name='person')]
    for img, ann in zip(coco['images'], coco['annotations']):
        assert set(img) == {'file_name', 'height', 'width', 'id'}
        assert ann['image_id'] == img['id'] and ann['category_id'] == 1
        assert ann['iscrowd'] == 0 and len(ann['bbox']) == 4 and len(ann['euler_angles']) == 3
        assert ann['area'] == pytest.approx(ann['bbox'][2] * ann['bbox'][3])


@needs_real
def test_w300lp_round_trip_skips_and_never_overwrites(tmp_path, capsys):
    root = tmp_path / '300W_LP'
    link(osp.join(REAL_SAMPLES, '300w_lp'), ['IBUG_image_008_1_0.jpg', 'IBUG_image_008_1_0.mat'],
         root / 'IBUG')
    out = str(tmp_path / 'w.json')
    tool = load_tool('w300lp_to_coco')
    summary = tool.main([str(root), '--out', out, '--subsets', 'IBUG'])
    assert summary['num_images'] == 1 and summary['skipped'] == {}
    coco = json.load(open(out))
    check_layout(coco)
    assert coco['images'][0] == dict(file_name='IBUG/IBUG_image_008_1_0.jpg', height=450,
                                     width=450, id=1)
    pitch, yaw, roll = coco['annotations'][0]['euler_angles']
    assert np.round([yaw, pitch, roll], 2).tolist() == [-44.01, -7.58, 3.21]
    dataset = W300LPDataset(data_root=str(root), subsets=['IBUG'], cache=False, pipeline=[])
    assert_round_trip(out, str(root), dataset)
    # never overwrite without --overwrite
    before = open(out).read()
    with pytest.raises(SystemExit, match='pass --overwrite'):
        tool.main([str(root), '--out', out, '--subsets', 'IBUG'])
    assert open(out).read() == before
    # a .mat without Pose_Para and a .mat without image are skipped and summarised
    sio.savemat(str(root / 'IBUG' / 'IBUG_bad_1_0.mat'), dict(pt2d=np.ones((2, 68))))
    open(root / 'IBUG' / 'IBUG_bad_1_0.jpg', 'wb').close()
    shutil.copy(osp.join(REAL_SAMPLES, '300w_lp', 'IBUG_image_008_1_0.mat'),
                root / 'IBUG' / 'IBUG_noimage_1_0.mat')
    capsys.readouterr()
    summary = tool.main([str(root), '--out', out, '--subsets', 'IBUG', '--overwrite'])
    assert summary['num_images'] == 1
    assert summary['skipped'] == {'unreadable file (ValueError)': 1,
                                  'no image beside the .mat': 1}
    printed = capsys.readouterr().out
    assert 'skipped: 2' in printed and 'IBUG/IBUG_bad_1_0.jpg' in printed
    assert 'has no Pose_Para' in printed and 'IBUG/IBUG_noimage_1_0.jpg' in printed


@needs_real
def test_aflw2000_round_trip_and_protocol_filter(tmp_path, capsys):
    root = tmp_path / 'AFLW2000'
    names = [f'image{n}{ext}' for n in ('00050', '00251', '00475') for ext in ('.jpg', '.mat')]
    link(osp.join(REAL_SAMPLES, 'aflw2000'), names, root)
    tool = load_tool('aflw2000_to_coco')
    out = str(tmp_path / 'a.json')
    summary = tool.main([str(root), '--out', out, '--bbox-source', 'pt2d'])
    assert summary['num_images'] == 3
    coco = json.load(open(out))
    check_layout(coco)
    dataset = AFLW2000Dataset(data_root=str(root), bbox_source='pt2d', cache=False, pipeline=[])
    assert_round_trip(out, str(root), dataset)
    summary = tool.main([str(root), '--out', out, '--overwrite', '--filter-abs-angle', '60'])
    assert summary['num_images'] == 2
    assert summary['skipped'] == {'|angle| > 60 (protocol filter)': 1}
    assert 'image00475.jpg' in capsys.readouterr().out
    with pytest.raises(SystemExit, match=r'no \.mat annotation'):
        tool.main([str(tmp_path), '--out', str(tmp_path / 'b.json')])


@needs_real
def test_biwi_round_trip_and_skipped_sequence(tmp_path):
    root = tmp_path / 'hpdb'
    (root / '12').mkdir(parents=True)
    shutil.copy(osp.join(REAL_SAMPLES, 'biwi', 'frame_00003_pose.txt'), root / '12')
    cv2.imwrite(str(root / '12' / 'frame_00003_rgb.png'), np.zeros((480, 640, 3), np.uint8))
    (root / '13').mkdir()
    cv2.imwrite(str(root / '13' / 'frame_00001_rgb.png'), np.zeros((480, 640, 3), np.uint8))
    out = str(tmp_path / 'b.json')
    summary = load_tool('biwi_to_coco').main([str(root), '--out', out])
    assert summary['num_images'] == 1
    assert summary['skipped'] == {'sequence without *_pose.txt files': 1}
    coco = json.load(open(out))
    check_layout(coco)
    np.testing.assert_allclose(coco['annotations'][0]['euler_angles'],
                               [-0.4049, 9.3275, -6.3944], atol=1e-3)
    assert coco['images'][0]['width'] == 640 and coco['annotations'][0]['identity'] == '12'
    dataset = BIWIDataset(data_root=str(root), sequences=[12], cache=False, pipeline=[])
    assert_round_trip(out, str(root), dataset)
