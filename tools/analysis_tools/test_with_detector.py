"""A crop model's error on its test set with a detector's boxes instead of the labelled ones.

The papers cut each test face around its labelled box (AFLW2000: the 68-landmark box x
1.2); a user's photographs have only what a detector finds. This runs the detector on each
test image, takes the detection that overlaps the labelled head box most (IoU >= ``--iou``)
as the head's box, and scores the model on those crops with the config's evaluator. Faces
the detector misses are counted and left out (recall is printed), so compare with the
labelled boxes on the found faces, which are printed too::

    python tools/analysis_tools/test_with_detector.py CONFIG [CHECKPOINT] --detector blazeface
"""

import argparse
import copy
import json
import os.path as osp
import sys

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from tqdm import tqdm

from headpose.utils import register_all_modules


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Test a crop model with a detector's boxes")
    parser.add_argument('config', help='test config (a top-down model on head crops)')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint (none for a model without '
                        'trained weights, e.g. the FaceMesh route)')
    parser.add_argument('--detector', default='blazeface', help='detector spec (blazeface, '
                        'haar, ...; see HeadPoseInferencer)')
    parser.add_argument('--iou', type=float, default=0.3, help='least overlap of a detection '
                        'with the labelled head box to count the face as found')
    parser.add_argument('--out', help='write the numbers as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='config overrides')
    return parser.parse_args(argv)


def evaluate(model, dataset, infos, evaluator_cfg, metainfo) -> dict:
    """The config's evaluator over the given data infos, through the dataset's pipeline."""
    evaluator = Evaluator(copy.deepcopy(evaluator_cfg))
    evaluator.dataset_meta = metainfo
    for info in infos:
        data = dataset.pipeline(copy.deepcopy(info))
        batch = dict(inputs=[data['inputs']], data_samples=[data['data_samples']])
        with torch.no_grad():
            evaluator.process(data_samples=model.test_step(batch), data_batch=batch)
    return evaluator.evaluate(len(infos))


def main(argv=None) -> dict:
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'headpose'))
    from headpose.apis import init_model
    from headpose.apis.detectors import build_detector
    from headpose.datasets.transforms.loading import read_image
    from headpose.models.estimators import has_trained_weights
    from headpose.registry import DATASETS
    from headpose.structures import box_iou
    if args.checkpoint is None and has_trained_weights(cfg.model):
        raise SystemExit(f'error: {args.config}: its model has trained weights; give the '
                         'checkpoint')
    model = init_model(cfg, args.checkpoint)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    detector = build_detector(args.detector)
    labelled, detected, missed = [], [], []
    for idx in tqdm(range(len(dataset)), desc=f'detecting ({args.detector})'):
        info = dataset.get_data_info(idx)
        gt_box = np.asarray(info['gt_bboxes'], np.float64).reshape(-1, 4)[0]
        boxes = np.asarray(detector(read_image(info['img_path']), info['img_path']),
                           np.float64).reshape(-1, 5)
        ious = box_iou(torch.as_tensor(gt_box[None]), torch.as_tensor(boxes[:, :4]))[0].numpy() \
            if len(boxes) else np.zeros(0)
        if not len(ious) or ious.max() < args.iou:
            missed.append(osp.basename(info['img_path']))
            continue
        best = boxes[int(np.argmax(ious))]
        found = copy.deepcopy(info)
        found['gt_bboxes'] = best[None, :4].astype(np.float32)
        found['bbox_score'] = float(best[4])
        labelled.append(info)
        detected.append(found)
    found_n = len(detected)
    print(f'{args.detector}: {found_n} of {len(dataset)} faces found '
          f'({100.0 * found_n / max(len(dataset), 1):.1f}%, IoU >= {args.iou})'
          + (f'; missed: {", ".join(missed[:10])}' if missed else ''), flush=True)
    if not found_n:
        raise SystemExit('error: the detector found none of the test faces')
    metainfo = dataset.metainfo
    print('with the labelled boxes, on the found faces:', flush=True)
    on_labels = evaluate(model, dataset, labelled, cfg.test_evaluator, metainfo)
    print(f'with the {args.detector} boxes:', flush=True)
    on_detections = evaluate(model, dataset, detected, cfg.test_evaluator, metainfo)
    result = dict(detector=args.detector, found=found_n, total=len(dataset), missed=missed,
                  labelled_boxes=on_labels, detector_boxes=on_detections)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == '__main__':
    main()
    sys.exit(0)
