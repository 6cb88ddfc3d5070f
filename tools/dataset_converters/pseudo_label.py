"""Label any folder of faces with a teacher: ``pseudo_label.py IMAGES OUT.json``.

The teacher (by default the FaceMesh route, ``configs/facemesh/facemesh_upright_aflw2000.py``)
reads each head and the result is written in the project's COCO-style head-pose layout
(``tools/dataset_converters/coco_writer.py``), with the teacher's confidence per head::

    python tools/dataset_converters/pseudo_label.py data/aflw_crops/AFLW_GT_crop \\
        data/aflw_crops/facemesh_labels.json --crops --list data/aflw_crops/AFLW_GT_crop.list

``--crops``: each image is one head crop, read whole. Otherwise a detector (``--detector``,
BlazeFace by default) finds the heads and each is cut as the teacher's test pipeline cuts
the AFLW2000 protocol's head box. Each annotation has ``bbox`` [x, y, w, h],
``euler_angles`` [pitch, yaw, roll] (degrees, headpose's convention), ``score`` (the
teacher's confidence), ``face_prob``, ``fit_rms`` and ``det_score``.

Resumable: every finished image is appended at once to ``OUT.json.partial.jsonl``; an
interrupted run (Ctrl-C, kill) is continued by the same command, and the JSON is written
(atomically) only when all images are done, then the partial file is removed. An image
that cannot be read is reported by name, recorded as skipped (``info.skipped`` of the
JSON) and the rest go on.
"""

import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional

import cv2
import numpy as np
from tqdm import tqdm

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_TEACHER = osp.join(REPO_ROOT, 'configs', 'facemesh', 'facemesh_upright_aflw2000.py')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Label head poses of a folder of images with '
                                     'a teacher model (resumable)')
    parser.add_argument('images', help='folder of images')
    parser.add_argument('out', help='the COCO-style head-pose .json to write')
    parser.add_argument('--teacher', default=DEFAULT_TEACHER, help='config of the teacher '
                        '(default: configs/facemesh/facemesh_upright_aflw2000.py)')
    parser.add_argument('--list', help='a text file of image names relative to IMAGES, one a '
                        'line (default: every image in the folder, sorted)')
    parser.add_argument('--crops', action='store_true', help='each image is one head crop, '
                        'read whole (no detector)')
    parser.add_argument('--detector', default='blazeface', help='head detector when not '
                        '--crops (see HeadPoseInferencer: blazeface, haar, ...)')
    parser.add_argument('--det-score-thr', type=float, default=0.5,
                        help='keep detections with at least this score')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing OUT '
                        '(and forget an earlier partial run)')
    return parser.parse_args(argv)


def list_images(folder: str, list_file: Optional[str]) -> List[str]:
    """The image names to label, relative to ``folder``.

    Raises:
        SystemExit: naming the folder or list file when it is missing or empty.
    """
    if not osp.isdir(folder):
        raise SystemExit(f'error: {folder} is not a folder of images')
    if list_file:
        if not osp.isfile(list_file):
            raise SystemExit(f'error: --list {list_file} not found')
        with open(list_file) as f:
            names = [line.strip() for line in f if line.strip()]
    else:
        names = sorted(n for n in os.listdir(folder) if n.lower().endswith(IMAGE_SUFFIXES))
    if not names:
        raise SystemExit(f'error: no image to label in {list_file or folder}')
    return names


def read_partial(path: str) -> dict:
    """The records of an interrupted run, by image name (a torn last line is dropped)."""
    done = {}
    if not osp.isfile(path):
        return done
    with open(path) as f:
        for line in f:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # the line a kill cut short: that image is labelled again
            done[rec['file_name']] = rec
    return done


def build_teacher(config: str, crops: bool):
    """The teacher model and, without ``crops``, the ``CropHead`` of its test pipeline that
    cuts a detected head for it (``None`` with ``crops``)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from headpose.registry import MODELS
    from headpose.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'headpose'))
    model_cfg = cfg.model.copy()
    if crops:
        model_cfg['view'] = 1.0  # a crop is what the teacher sees, whole
    teacher = MODELS.build(model_cfg)
    if not hasattr(teacher, 'estimate'):
        raise SystemExit(f'error: {config}: the teacher must have estimate(rgb) -> dict '
                         f'(as FaceMeshPoseEstimator), {type(teacher).__name__} has not')
    if crops:
        return teacher, None
    crop = next((t for t in cfg.test_dataloader.dataset.pipeline if t['type'] == 'CropHead'),
                None)
    if crop is None:
        raise SystemExit(f'error: {config}: its test pipeline has no CropHead to cut heads')
    from headpose.registry import TRANSFORMS
    return teacher, TRANSFORMS.build(crop)


def label_image(path: str, teacher, cropper, detector, det_thr: float) -> dict:
    """One image -> its record: size and heads (box, angles, confidences)."""
    from headpose.datasets.transforms.loading import read_image
    img = read_image(path)
    h, w = img.shape[:2]
    if detector is None:
        boxes = np.array([[0.0, 0.0, w, h, 1.0]])
    else:
        boxes = np.asarray(detector(img, path), dtype=np.float64).reshape(-1, 5)
        boxes = boxes[boxes[:, 4] >= det_thr]
    heads = []
    for box in boxes:
        rgb = img if detector is None else \
            cropper.transform(dict(img=img, gt_bboxes=box[None, :4]))['img']
        res = teacher.estimate(cv2.cvtColor(rgb, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0)
        yaw, pitch, roll = (float(v) for v in res['angles'])
        x1, y1, x2, y2 = (float(v) for v in box[:4])
        heads.append(dict(bbox=[x1, y1, x2 - x1, y2 - y1], euler_angles=[pitch, yaw, roll],
                          score=float(res['score']), face_prob=float(res['face_prob']),
                          fit_rms=float(res['fit_rms']), det_score=float(box[4])))
    return dict(width=int(w), height=int(h), heads=heads)


def to_coco(names: List[str], records: dict, args: argparse.Namespace) -> dict:
    """The COCO-style layout of the finished records, in the order of ``names``."""
    images, annotations, skipped = [], [], []
    for name in names:
        rec = records[name]
        if 'error' in rec:
            skipped.append(dict(file_name=name, reason=rec['error']))
            continue
        img_id = len(images) + 1
        images.append(dict(id=img_id, file_name=name, width=rec['width'],
                           height=rec['height']))
        for head in rec['heads']:
            x, y, bw, bh = head['bbox']
            annotations.append(dict(id=len(annotations) + 1, image_id=img_id, category_id=1,
                                    iscrowd=0, area=bw * bh, **head))
    info = dict(description='head poses labelled by a teacher (pseudo_label.py)',
                teacher=args.teacher, crops=bool(args.crops),
                detector=None if args.crops else args.detector, skipped=skipped)
    return dict(info=info, images=images, annotations=annotations,
                categories=[dict(id=1, name='person')])


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.out.endswith('.json'):
        raise SystemExit(f'error: OUT must be a .json file, got {args.out}')
    partial = args.out + '.partial.jsonl'
    if osp.exists(args.out) and not args.overwrite:
        raise SystemExit(f'error: {args.out} exists; pass --overwrite to label again')
    if args.overwrite and osp.exists(partial):
        os.remove(partial)
    names = list_images(args.images, args.list)
    done = read_partial(partial)
    todo = [n for n in names if n not in done]
    if done:
        print(f'continuing {partial}: {len(names) - len(todo)} of {len(names)} images '
              'done before', flush=True)
    teacher, cropper = build_teacher(args.teacher, args.crops)
    detector = None
    if not args.crops:
        from headpose.apis.detectors import build_detector
        detector = build_detector(args.detector)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    try:
        with open(partial, 'a') as log:
            for name in tqdm(todo, desc='labelling', unit='img'):
                path = osp.join(args.images, name)
                try:
                    rec = label_image(path, teacher, cropper, detector, args.det_score_thr)
                except (OSError, ValueError) as err:
                    tqdm.write(f'skipping {path}: {err}')
                    rec = dict(error=str(err))
                rec['file_name'] = name
                log.write(json.dumps(rec) + '\n')
                log.flush()
                done[name] = rec
    except KeyboardInterrupt:
        print(f'\ninterrupted: {len(done)} of {len(names)} images are labelled in {partial}; '
              'run the same command to continue', file=sys.stderr)
        return 130
    coco = to_coco(names, done, args)
    from headpose.utils.checkpoint_io import write_atomically
    write_atomically(json.dumps(coco).encode('utf-8'), args.out)
    os.remove(partial)
    skipped = coco['info']['skipped']
    print(f'{args.out}: {len(coco["images"])} images, {len(coco["annotations"])} heads'
          + (f'; {len(skipped)} images skipped: '
             + ', '.join(s['file_name'] for s in skipped[:5])
             + (' ...' if len(skipped) > 5 else '') if skipped else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
