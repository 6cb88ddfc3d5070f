"""Convert CMU Panoptic's raw release (HD frames, 3D body keypoints) to a COCO-style JSON.

``python tools/dataset_converters/cmu_panoptic_to_coco.py RAW_ROOT OUT_DIR --split train
--sequences 171204_pose3 ... [--cameras 00_00 00_03 ...] [--frame-step 30]
[--head-size-cm 24] [--min-conf 0.1] [--copy] [--overwrite]``

Input, per sequence, as the Panoptic toolbox lays it out (``getData.sh`` then
``extractAll.sh``): ``RAW_ROOT/SEQ/calibration_SEQ.json`` (cameras: ``name``,
``type``, ``K``, ``distCoef``, ``R``, ``t`` in cm), ``RAW_ROOT/SEQ/hdImgs/CAM/CAM_FFFFFFFF.jpg``
and ``RAW_ROOT/SEQ/hdPose3d_stage1_coco19/body3DScene_FFFFFFFF.json`` (``bodies[]`` with
``joints19`` = 19 x (x, y, z, confidence), world cm).

Output (DirectMHP's layout, read by ``CocoHeadPoseDataset``): ``OUT_DIR/images/SPLIT/
SEQ_CAM_FFFFFFFF.jpg`` (symbolic links to the frames, or copies with ``--copy``) and
``OUT_DIR/annotations/coco_style_SPLIT.json`` with, per visible head, ``bbox`` [x, y, w,
h] and ``euler_angles`` [pitch, yaw, roll] in degrees, full-range yaw.

How a head is labelled (our construction, from the body keypoints; DirectMHP fits the
face mesh instead): the head's x axis runs from the right ear to the left ear, its z axis
(the facing direction) from the ears' midpoint to the eyes' midpoint, made orthogonal to x,
and y = z x x. The rotation in headpose's camera frame (x right, y up, z toward the viewer)
is ``diag(1, -1, -1) @ R_cam @ [x y z]``. The box is a ``head-size-cm`` tall, 0.8 times as
wide square-ish box around the head centre (ears' midpoint, moved up by 10% of the head
size), scaled by the focal length over the depth. A body is skipped (and counted) when an
eye or ear keypoint has confidence below ``--min-conf``, when the head is behind the camera,
or when less than 30% of its box is inside the image; boxes partly outside are clipped.
"""

import argparse
import json
import os
import os.path as osp
import shutil
import sys
from collections import Counter
from typing import List, Optional

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from headpose.structures import matrix_to_euler  # noqa: E402

#: Indices of the Panoptic ``coco19`` joints used here.
L_EYE, L_EAR, R_EYE, R_EAR = 15, 16, 17, 18
#: OpenCV camera frame (x right, y down, z forward) -> headpose's (x right, y up, z back).
CV_TO_HEADPOSE = np.diag([1.0, -1.0, -1.0])


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('raw_root', help='folder holding the sequence folders')
    parser.add_argument('out_dir', help='output root (images/ and annotations/)')
    parser.add_argument('--split', default='train', help='split name used in file names')
    parser.add_argument('--sequences', nargs='+', required=True, help='sequence names')
    parser.add_argument('--cameras', nargs='+', help='HD camera names (default: all found)')
    parser.add_argument('--frame-step', type=int, default=30, help='use every n-th frame')
    parser.add_argument('--head-size-cm', type=float, default=24.0, help='head box height')
    parser.add_argument('--min-conf', type=float, default=0.1,
                        help='smallest keypoint confidence of the eyes and ears')
    parser.add_argument('--copy', action='store_true', help='copy frames (default: symlink)')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing JSON')
    return parser.parse_args(argv)


def head_rotation_world(joints: np.ndarray) -> np.ndarray:
    """The head's rotation (columns: its x, y, z axes) in world coordinates.

    Args:
        joints: ``(19, 3+)`` coco19 keypoints.
    """
    l_ear, r_ear = joints[L_EAR, :3], joints[R_EAR, :3]
    eyes = (joints[L_EYE, :3] + joints[R_EYE, :3]) / 2
    x = l_ear - r_ear
    x = x / np.linalg.norm(x)
    f = eyes - (l_ear + r_ear) / 2
    z = f - (f @ x) * x
    z = z / np.linalg.norm(z)
    y = np.cross(z, x)
    return np.stack([x, y, z], 1)


def label_head(joints: np.ndarray, cam: dict, head_size: float, width: int, height: int,
               min_conf: float) -> tuple:
    """The head box (xyxy, pixels) and (yaw, pitch, roll) of one body in one camera.

    Returns:
        ``(box, angles)``, or ``(None, reason)`` when the head cannot be labelled.
    """
    if np.any(joints[[L_EYE, L_EAR, R_EYE, R_EAR], 3] < min_conf):
        return None, 'eye or ear keypoint below --min-conf'
    rot_w = head_rotation_world(joints)
    r_cam = np.asarray(cam['R'], np.float64)
    t_cam = np.asarray(cam['t'], np.float64).reshape(3)
    rotation = CV_TO_HEADPOSE @ r_cam @ rot_w
    center_w = (joints[L_EAR, :3] + joints[R_EAR, :3]) / 2 + 0.1 * head_size * rot_w[:, 1]
    center_c = r_cam @ center_w + t_cam
    if center_c[2] <= 1e-6:
        return None, 'head behind the camera'
    k = np.asarray(cam['K'], np.float64)
    dist = np.asarray(cam.get('distCoef', [0, 0, 0, 0, 0]), np.float64)
    uv, _ = cv2.projectPoints(center_c.reshape(1, 1, 3), np.zeros(3), np.zeros(3), k, dist)
    u, v = uv.reshape(2)
    half_h = 0.5 * k[1, 1] * head_size / center_c[2]
    half_w = 0.8 * 0.5 * k[0, 0] * head_size / center_c[2]
    box = np.array([u - half_w, v - half_h, u + half_w, v + half_h])
    clipped = np.clip(box, 0, [width, height, width, height])
    area = (box[2] - box[0]) * (box[3] - box[1])
    inside = max(clipped[2] - clipped[0], 0) * max(clipped[3] - clipped[1], 0)
    if inside < 0.3 * area:
        return None, 'head box less than 30% inside the image'
    return clipped, matrix_to_euler(rotation, full_range=True)


def hd_cameras(calib_file: str, wanted: Optional[List[str]]) -> dict:
    """The HD cameras of a calibration file, by name."""
    with open(calib_file) as f:
        cams = json.load(f)['cameras']
    hd = {c['name']: c for c in cams if c.get('type') == 'hd'}
    if wanted:
        missing = sorted(set(wanted) - set(hd))
        if missing:
            raise SystemExit(f'{calib_file}: no HD camera(s) {missing}; it has {sorted(hd)}')
        hd = {n: hd[n] for n in wanted}
    return hd


def main(argv=None) -> dict:
    args = parse_args(argv)
    ann_path = osp.join(args.out_dir, 'annotations', f'coco_style_{args.split}.json')
    if osp.exists(ann_path) and not args.overwrite:
        raise SystemExit(f'{ann_path} exists; pass --overwrite to replace it')
    img_out = osp.join(args.out_dir, 'images', args.split)
    os.makedirs(img_out, exist_ok=True)
    images, annotations, skipped = [], [], Counter()
    for seq in args.sequences:
        seq_dir = osp.join(args.raw_root, seq)
        calib = osp.join(seq_dir, f'calibration_{seq}.json')
        pose_dir = osp.join(seq_dir, 'hdPose3d_stage1_coco19')
        if not osp.isfile(calib) or not osp.isdir(pose_dir):
            raise SystemExit(f'{seq_dir}: expected calibration_{seq}.json and '
                             'hdPose3d_stage1_coco19/ (see docs: getData.sh, extractAll.sh)')
        cams = hd_cameras(calib, args.cameras)
        frames = sorted(f for f in os.listdir(pose_dir) if f.startswith('body3DScene_'))
        for frame_file in frames[::args.frame_step]:
            frame = frame_file[len('body3DScene_'):-len('.json')]
            with open(osp.join(pose_dir, frame_file)) as f:
                bodies = json.load(f).get('bodies', [])
            for name, cam in cams.items():
                src = osp.join(seq_dir, 'hdImgs', name, f'{name}_{frame}.jpg')
                if not osp.isfile(src):
                    skipped['frame image not extracted'] += 1
                    continue
                width, height = (int(v) for v in cam.get('resolution', (1920, 1080)))
                image_id = len(images) + 1
                heads = []
                for body in bodies:
                    joints = np.asarray(body['joints19'], np.float64).reshape(-1, 4)
                    box, angles = label_head(joints, cam, args.head_size_cm, width, height,
                                             args.min_conf)
                    if box is None:
                        skipped[angles] += 1
                        continue
                    yaw, pitch, roll = (float(a) for a in angles)
                    x1, y1, x2, y2 = (float(v) for v in box)
                    heads.append(dict(
                        id=len(annotations) + len(heads) + 1, image_id=image_id,
                        category_id=1, iscrowd=0, bbox=[x1, y1, x2 - x1, y2 - y1],
                        area=(x2 - x1) * (y2 - y1), euler_angles=[pitch, yaw, roll],
                        body_id=body.get('id')))
                if not heads:
                    skipped['frame without a labelled head'] += 1
                    continue
                file_name = f'{seq}_{name}_{frame}.jpg'
                dst = osp.join(img_out, file_name)
                if not osp.lexists(dst):
                    if args.copy:
                        shutil.copyfile(src, dst)
                    else:
                        os.symlink(osp.abspath(src), dst)
                images.append(dict(file_name=file_name, height=height, width=width,
                                   id=image_id))
                annotations.extend(heads)
    os.makedirs(osp.dirname(ann_path), exist_ok=True)
    coco = dict(info=dict(description=f'CMU Panoptic heads, split {args.split}',
                          sequences=list(args.sequences)),
                images=images, annotations=annotations,
                categories=[dict(id=1, name='person')])
    with open(ann_path + '.part', 'w') as f:
        json.dump(coco, f)
    os.replace(ann_path + '.part', ann_path)
    print(f'{len(images)} images with {len(annotations)} heads written to {ann_path}')
    for reason, n in skipped.most_common():
        print(f'  skipped {n:7d}: {reason}')
    return dict(out_file=ann_path, num_images=len(images), num_heads=len(annotations),
                skipped=dict(skipped))


if __name__ == '__main__':
    main()
