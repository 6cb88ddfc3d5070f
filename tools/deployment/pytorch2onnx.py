"""Export a head-pose model (top-down or Multitask-Net) to ONNX and check it against PyTorch.

``python tools/deployment/pytorch2onnx.py CONFIG CKPT [--out model.onnx] [--batch-size 1]
[--dynamic] [--opset 17] [--check-images IMG ...] [--no-check]``

The graph takes ``input`` ``(N, 3, H, W)`` uint8 BGR head crops (what the test
pipeline's ``CropHead`` + ``PackHeadPoseInputs`` make) and contains the normalisation,
the network and the decoding: outputs ``poses`` (N, 3) yaw, pitch, roll in degrees and
``rotations`` (N, 3, 3). A codec whose decoding ONNX cannot express (an SVD
projection: ONNX has no SVD operator) is exported undecoded (output ``raw``), and
``OnnxHeadPoseModel`` decodes after the graph with the same codec. The config is
stored in the file's metadata.

The check runs PyTorch and ONNX Runtime on random crops and on real images (``--check-
images``, default: the AFLW2000 samples in ../shared/data/real_samples when present,
and the first items of the config's test set when it can be built) and prints the
largest difference of the angles and the largest geodesic angle between the rotation
matrices, in degrees. Exit status 1 if it is 0.01 degrees or more.

A Multitask-Net (``MultiTaskNet``) is exported from the letterboxed, normalised image
batch ``input`` ``(N, 3, H, W)`` float32 (H x W: the test pipeline's ``LetterBox``) to
every anchor's ``boxes`` (decoded, in the letterboxed input's pixels), ``objectness``,
``scores`` and ``pose_outputs`` (the codec's raw outputs, flip-merged for a flip-testing
model); ``OnnxHeadPoseModel`` applies the thresholds, the NMS, the un-letterboxing and
the pose decoding (SVD projection included) after the graph, with the PyTorch head's own
functions. The check compares (1) the per-anchor outputs on random inputs and (2) the
detections of PyTorch's ``test_step`` and ``OnnxHeadPoseModel.test_step`` on SynthHeads
scenes (``--num-scenes``, rendered at ``--scene-size`` with the scene parameters of the
config's test set when that is ``SynthHeadsScenesDataset``) and on real images
(``--check-images``, default: the CMU Panoptic samples in ../shared/data/real_samples): the
same heads after the same NMS, boxes within 0.5 pixels of the original image and angles
(and rotations) within 0.01 degrees; exit status 1 otherwise. Heads are matched by box and
score, not by place (:func:`compare_detections`); heads that only one runtime keeps, of
scores that several candidates share (ties broken in another order at the ``max_per_img``
cut or in NMS), are printed as ties, not differences. Without real samples, the check
says that it skipped them.
"""

import argparse
import copy
import glob
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REAL_SAMPLES = osp.join(REPO, '..', 'shared', 'data', 'real_samples', 'aflw2000')
REAL_SCENES = osp.join(REPO, '..', 'shared', 'data', 'real_samples', 'cmu_panoptic')
TOLERANCE = 0.01  # degrees
BOX_TOLERANCE = 0.5  # pixels of the original image (Multitask-Net)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', default='model.onnx', help='the .onnx file to write')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='batch size of the graph (of the example input when --dynamic)')
    parser.add_argument('--dynamic', action='store_true', help='dynamic batch dimension')
    parser.add_argument('--input-size', type=int, nargs=2, metavar=('W', 'H'),
                        help='crop size (default: the CropHead of the test pipeline); a '
                        'Multitask-Net is exported at its LetterBox scale')
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset version')
    parser.add_argument('--check-images', nargs='*',
                        help='real images to compare on (default: the AFLW2000 samples; for a '
                        'Multitask-Net the CMU Panoptic ones)')
    parser.add_argument('--num-dataset-items', type=int, default=8,
                        help='items of the config\'s test set to compare on (0: none)')
    parser.add_argument('--num-scenes', type=int, default=4,
                        help='Multitask-Net: SynthHeads scenes to compare on')
    parser.add_argument('--scene-size', type=int, nargs=2, default=(192, 144),
                        metavar=('W', 'H'), help='Multitask-Net: size of the rendered scenes '
                        '(not square: the letterbox pads them)')
    parser.add_argument('--no-check', action='store_true', help='skip the comparison')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides, e.g. model.backbone.depth=50')
    return parser.parse_args(argv)


def real_image_paths(given: Optional[List[str]], default_dir: str, what: str) -> List[str]:
    """The real images to compare on: ``--check-images``, else the ``*.jpg`` samples of
    ``default_dir``; says when there are none, so that a skipped check is never silent."""
    if given is not None:
        if not given:
            print('  real images: skipped (--check-images given without images)')
        return list(given)
    paths = sorted(glob.glob(osp.join(default_dir, '*.jpg')))
    if not paths:
        print(f'  real images: skipped: no {what} samples in {osp.normpath(default_dir)} '
              '(../shared is absent?); pass --check-images IMG ... to compare on real images')
    return paths


def rotation_angle_between(r1: np.ndarray, r2: np.ndarray) -> np.ndarray:
    """The angle (degrees) between rotations from the chord ``||R1 - R2||_F = 2 sqrt(2)
    sin(angle / 2)``, accurate for tiny angles, where ``arccos((trace - 1) / 2)`` of
    float32 matrices is noise of about 0.03 degrees."""
    chord = np.linalg.norm(np.asarray(r1, np.float64) - np.asarray(r2, np.float64),
                           axis=(-2, -1))
    return np.degrees(2 * np.arcsin(np.clip(chord / (2 * np.sqrt(2)), 0, 1)))


def compare(torch_out: tuple, onnx_out: tuple) -> tuple:
    """``(max |angle difference|, max angle between the rotation matrices)`` in degrees."""
    from headpose.structures import wrapped_angle_error
    (p1, r1), (p2, r2) = torch_out, onnx_out
    p1, p2 = np.asarray(p1, np.float64), np.asarray(p2, np.float64)
    r1, r2 = np.asarray(r1, np.float64), np.asarray(r2, np.float64)
    if len(p1) == 0:
        return 0.0, 0.0
    return (float(wrapped_angle_error(p1, p2).max()),
            float(rotation_angle_between(r1, r2).max()))


def torch_decode(model, crops: np.ndarray) -> tuple:
    """The PyTorch model's (poses, rotations) on uint8 BGR crops, through ``test_step``."""
    from headpose.structures import HeadPoseDataSample
    data = dict(inputs=[torch.from_numpy(c) for c in crops],
                data_samples=[HeadPoseDataSample() for _ in crops])
    with torch.no_grad():
        out = model.test_step(data)
    return (np.concatenate([s.pred_instances.poses.numpy() for s in out]),
            np.concatenate([s.pred_instances.rotations.numpy() for s in out]))


def dataset_crops(cfg, n: int) -> Optional[np.ndarray]:
    """The first ``n`` packed crops of the config's test set, or ``None`` if unavailable."""
    if n <= 0:
        return None
    from headpose.registry import DATASETS
    try:
        ds = DATASETS.build(cfg.test_dataloader.dataset)
        return np.stack([ds[i]['inputs'].numpy() for i in range(min(n, len(ds)))])
    except Exception as err:  # e.g. a dataset whose files are not on this machine
        print(f'  (test set not used: {type(err).__name__}: {str(err)[:120]})')
        return None


def image_crops(cfg, paths: List[str]) -> Optional[np.ndarray]:
    """Whole-image crops of real images made by the test pipeline."""
    if not paths:
        return None
    from headpose.apis import build_test_pipeline, load_image
    pipeline = build_test_pipeline(cfg)
    crops = []
    for p in paths:
        img, _ = load_image(p)
        h, w = img.shape[:2]
        crops.append(pipeline(dict(img=img, img_path=p,
                                   bbox=np.array([0, 0, w, h], np.float32)))['inputs'].numpy())
    return np.stack(crops)


def scene_items(cfg, num: int, size: Sequence[int]) -> list:
    """``num`` SynthHeads scenes of ``size`` (W, H) through the config's test pipeline
    (scene parameters of its test set when that is ``SynthHeadsScenesDataset``)."""
    from headpose.apis import get_test_pipeline
    from headpose.registry import DATASETS
    if num <= 0:
        return []
    ds_cfg = dict(cfg.test_dataloader.dataset) if 'test_dataloader' in cfg else {}
    keys = ('num_heads', 'head_scale', 'yaw_range', 'pitch_range', 'roll_range',
            'max_overlap')
    scene = {k: ds_cfg[k] for k in keys if ds_cfg.get('type') == 'SynthHeadsScenesDataset'
             and k in ds_cfg}
    ds = DATASETS.build(dict(type='SynthHeadsScenesDataset', num_samples=num, seed=1,
                             img_size=tuple(size), test_mode=True,
                             pipeline=get_test_pipeline(cfg), **scene))
    return [ds[i] for i in range(num)]


def image_items(cfg, paths: List[str]) -> list:
    """Real images through the config's test pipeline (Multitask-Net)."""
    from headpose.apis import build_test_pipeline, load_image
    pipeline = build_test_pipeline(cfg)
    items = []
    for p in paths:
        img, _ = load_image(p)
        items.append(pipeline(dict(img=img, img_path=p)))
    return items


def detect(model, items: list, batch_size: int) -> list:
    """``pred_instances`` of each item by ``model.test_step`` (on copies of the samples)."""
    out = []
    for i in range(0, len(items), batch_size):
        chunk = items[i:i + batch_size]
        data = dict(inputs=[d['inputs'] for d in chunk],
                    data_samples=[copy.deepcopy(d['data_samples']) for d in chunk])
        with torch.no_grad():
            out.extend(s.pred_instances for s in model.test_step(data))
    return out


#: Smallest overlap (IoU) of a PyTorch and an ONNX Runtime detection taken as one head.
MATCH_IOU = 0.5
#: Scores this close (relative) are one tied score: float32 rounding differs between the
#: runtimes by a few 1e-7 of a score.
SCORE_TIE = 2e-6


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(len(a), len(b))`` IoU of xyxy boxes."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area = lambda x: np.clip(x[:, 2:] - x[:, :2], 0, None).prod(-1)  # noqa: E731
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def _greedy(cost: tuple, accept, rows: List[int], cols: List[int]) -> tuple:
    """Greedy one-to-one pairs of ``rows`` and ``cols`` in the order of the ``cost``
    matrices (``np.lexsort`` keys, the last one first) where ``accept(i, j)``; returns
    ``(pairs, rows left, cols left)``."""
    left_r, left_c, pairs = set(rows), set(cols), []
    if rows and cols:
        n = cost[0].shape[1]
        for flat in np.lexsort(tuple(c.ravel() for c in cost)):
            i, j = divmod(int(flat), n)
            if i in left_r and j in left_c and accept(i, j):
                left_r.discard(i)
                left_c.discard(j)
                pairs.append((i, j))
    return sorted(pairs), sorted(left_r), sorted(left_c)


def match_detections(a, b, box_tolerance: float, tied_a=None, tied_b=None) -> dict:
    """Pairs two runtimes' detections of one image by overlap and score, not by place.

    1. ``same``: pairs whose boxes agree within ``box_tolerance`` pixels, closest first
       (then closest scores): the same head, wherever the two lists put it (detections
       of equal score come out of a sort in either order).
    2. ``tied_a`` / ``tied_b``: of the rest, the detections whose score ``tied_a(score)``
       (``tied_b``) calls a tie: a tie broken in another order at the ``max_per_img``
       cut, or in the order of NMS, makes the runtimes keep other boxes of that score
       (and, down the line, push other boxes past the cut).
    3. ``moved``: of the rest, pairs overlapping by IoU >= :data:`MATCH_IOU`, largest
       first: one head whose box or score moved.

    Returns:
        dict of ``same``, ``moved`` (index pairs), ``tied_a``, ``tied_b``, ``lone_a``,
        ``lone_b`` (indices).
    """
    ba, bb = a.bboxes.double().numpy().reshape(-1, 4), b.bboxes.double().numpy().reshape(-1, 4)
    sa = a.scores.double().numpy() if 'scores' in a else np.zeros(len(ba))
    sb = b.scores.double().numpy() if 'scores' in b else np.zeros(len(bb))
    dist = np.abs(ba[:, None, :] - bb[None, :, :]).max(-1)
    gap = np.abs(sa[:, None] - sb[None, :])
    same, lone_a, lone_b = _greedy((gap, dist), lambda i, j: dist[i, j] <= box_tolerance,
                                   list(range(len(ba))), list(range(len(bb))))
    ties_a = [i for i in lone_a if tied_a is not None and tied_a(sa[i])]
    ties_b = [j for j in lone_b if tied_b is not None and tied_b(sb[j])]
    iou = box_iou(ba, bb)
    moved, lone_a, lone_b = _greedy((gap, -iou), lambda i, j: iou[i, j] >= MATCH_IOU,
                                    [i for i in lone_a if i not in ties_a],
                                    [j for j in lone_b if j not in ties_b])
    return dict(same=same, moved=moved, tied_a=ties_a, tied_b=ties_b, lone_a=lone_a,
                lone_b=lone_b)


def tie_test(candidate_scores: np.ndarray):
    """``score -> bool``: whether two or more of an image's candidates (every anchor and
    class) score ``score`` to within :data:`SCORE_TIE` (relative), so that their order is
    a tie."""
    ordered = np.sort(np.asarray(candidate_scores, np.float64).ravel())

    def tied(score: float) -> bool:
        tol = SCORE_TIE * abs(score)
        lo, hi = np.searchsorted(ordered, [score - tol, score + tol])
        return hi - lo >= 2

    return tied


def compare_detections(ref: list, got: list, max_per_img: Optional[int] = None,
                       candidates: Optional[list] = None) -> dict:
    """PyTorch's against ONNX Runtime's detections, image by image, heads matched by
    overlap and score (:func:`match_detections`), not by their place in the lists.

    Detections that one runtime keeps and the other does not, of scores that several
    candidates of the image share (``candidates``), are ties broken in another order:
    many heads of an untrained model score exactly alike, and which of them survive the
    ``max_per_img`` cut, or suppress one another in NMS, depends on the sort. They are
    reported in ``ties``, not as differences of the export (the per-anchor outputs, from
    which both runtimes select with the same code, are compared on their own).

    Args:
        ref: PyTorch's ``pred_instances``, one an image.
        got: ONNX Runtime's.
        max_per_img: the detections kept at most per image (the ``test_cfg``'s), to say
            when a tie lies at that cut.
        candidates: per image, ``(PyTorch's, ONNX Runtime's)`` scores of every anchor
            and class; ``None``: no detection is taken for a tie.

    Returns:
        ``heads`` (PyTorch's total), ``matched`` (heads with the same box in both),
        ``box`` (max |box difference| of the paired heads, pixels), ``score``,
        ``angle`` and ``rotation`` (degrees), ``mismatch``: messages for detections
        without a partner that no tie explains, and ``ties``: messages for those that
        ties explain.
    """
    stats = dict(heads=0, matched=0, box=0.0, score=0.0, angle=0.0, rotation=0.0,
                 mismatch=[], ties=[])
    for i, (a, b) in enumerate(zip(ref, got)):
        stats['heads'] += len(a)
        tests = (None, None) if candidates is None else (tie_test(candidates[i][0]),
                                                          tie_test(candidates[i][1]))
        m = match_detections(a, b, BOX_TOLERANCE, *tests)
        stats['matched'] += len(m['same'])
        if m['tied_a'] or m['tied_b']:
            low = float(a.scores.min())
            at_cut = [k for k in m['tied_a']
                      if float(a.scores[k]) - low <= SCORE_TIE * abs(low)]
            cut = (f'; {len(at_cut)} of them at the max_per_img={max_per_img} cut (score '
                   f'{low:.6g})' if at_cut and len(a) == max_per_img else '')
            stats['ties'].append(
                f'image {i}: {len(m["tied_a"])} heads kept only by PyTorch and '
                f'{len(m["tied_b"])} only by ONNX Runtime, all of scores that several '
                f'candidates share{cut}: ties broken in another order, not a difference '
                'of the export')
        if len(a) != len(b) and not (m['tied_a'] or m['tied_b']):
            stats['mismatch'].append(f'image {i}: PyTorch found {len(a)} heads, ONNX Runtime '
                                     f'{len(b)}')
        elif m['lone_a'] or m['lone_b']:
            k = m['lone_a'][0] if m['lone_a'] else None
            example = '' if k is None else (
                f' (e.g. PyTorch\'s box {np.round(a.bboxes[k].numpy(), 1).tolist()}'
                + (f', score {float(a.scores[k]):.6g}' if 'scores' in a else '') + ')')
            stats['mismatch'].append(
                f'image {i}: {len(m["lone_a"])} of PyTorch\'s {len(a)} heads and '
                f'{len(m["lone_b"])} of ONNX Runtime\'s {len(b)} have no counterpart'
                f'{example}')
        pairs = m['same'] + m['moved']  # a moved head counts with its box differences
        if not pairs:
            continue
        ia, ib = [p[0] for p in pairs], [p[1] for p in pairs]
        stats['box'] = max(stats['box'], float((a.bboxes[ia].double() - b.bboxes[ib].double())
                                               .abs().max()))
        if 'scores' in a and 'scores' in b:
            stats['score'] = max(stats['score'], float((a.scores[ia].double() -
                                                        b.scores[ib].double()).abs().max()))
        d_angle, d_rot = compare((a.poses[ia].numpy(), a.rotations[ia].numpy()),
                                 (b.poses[ib].numpy(), b.rotations[ib].numpy()))
        stats['angle'] = max(stats['angle'], d_angle)
        stats['rotation'] = max(stats['rotation'], d_rot)
    return stats


def check_multitask(model, args: argparse.Namespace) -> int:
    """The Multitask-Net check (module docstring); returns the exit status."""
    from headpose.apis import OnnxHeadPoseModel
    from headpose.apis.onnx_model import MultiTaskExportWrapper, letterbox_size_of
    onnx_model = OnnxHeadPoseModel(args.out)
    w, h = letterbox_size_of(model.cfg)
    batch = max(args.batch_size, 2 if args.dynamic else args.batch_size)
    x = np.random.default_rng(0).standard_normal((batch, 3, h, w)).astype(np.float32)
    with torch.no_grad():
        ref = [t.numpy() for t in MultiTaskExportWrapper(model)(torch.from_numpy(x))]
    got = onnx_model.run_multitask(x)
    # relative to the largest value: random inputs give boxes of thousands of pixels
    raw = {name: float(np.abs(r - got[name]).max() / max(np.abs(r).max(), 1.0))
           for name, r in zip(got, ref)}
    print('  per-anchor outputs on random inputs, max |difference| / max |value|: ' +
          ', '.join(f'{k} {v:.1e}' for k, v in raw.items()))
    sets = {'SynthHeads scenes': scene_items(model.cfg, args.num_scenes, args.scene_size)}
    paths = real_image_paths(args.check_images, REAL_SCENES, 'CMU Panoptic')
    if paths:
        sets['real images'] = image_items(model.cfg, paths)
    max_per_img = onnx_model.test_cfg.get('max_per_img')
    failures, heads = [], 0
    for name, items in sets.items():
        candidates = []
        for i in range(0, len(items), batch):  # every anchor's scores, both runtimes
            x = model.data_preprocessor(dict(inputs=[d['inputs'] for d in items[i:i + batch]]),
                                        False)['inputs']
            with torch.no_grad():
                ref_scores = MultiTaskExportWrapper(model)(x)[2].numpy()
            got_scores = onnx_model.run_multitask(x.numpy())['scores']
            candidates += list(zip(ref_scores, got_scores))
        stats = compare_detections(detect(model, items, batch), detect(onnx_model, items, batch),
                                   max_per_img, candidates)
        heads += stats['heads']
        print(f'  {name:17s} ({len(items):2d} images, {stats["heads"]:4d} heads, '
              f'{stats["matched"]:4d} matched by overlap): max box difference '
              f'{stats["box"]:.2e} px, max score difference {stats["score"]:.1e}, max angle '
              f'difference {stats["angle"]:.2e} deg, max rotation difference '
              f'{stats["rotation"]:.2e} deg')
        for tie in stats['ties']:
            print(f'    tie: {tie}')
        failures += [f'{name}, {m}' for m in stats['mismatch']]
        if stats['box'] > BOX_TOLERANCE:
            failures.append(f'{name}: boxes differ by {stats["box"]:.3g} px (limit '
                            f'{BOX_TOLERANCE})')
        if max(stats['angle'], stats['rotation']) >= TOLERANCE:
            failures.append(f'{name}: poses differ by {max(stats["angle"], stats["rotation"]):.3g}'
                            f' degrees (limit {TOLERANCE})')
    if heads == 0:
        print(f'  note: no head scored {onnx_model.test_cfg["score_thr"]} or more (untrained '
              'weights?): only the per-anchor outputs were compared')
    if failures:
        print('PyTorch vs ONNX Runtime: FAILED\n  ' + '\n  '.join(failures))
        return 1
    print(f'PyTorch vs ONNX Runtime: same detections after the same NMS, boxes within '
          f'{BOX_TOLERANCE} px and poses within {TOLERANCE} degrees: OK')
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Exports and checks; returns the exit status (0 ok, 1 check failed, 2 setup error)."""
    args = parse_args(argv)
    from headpose.apis import OnnxHeadPoseModel, export_onnx, init_model
    from headpose.apis.onnx_model import is_multitask
    try:
        model = init_model(args.config, args.checkpoint, cfg_options=args.cfg_options)
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        decoded = export_onnx(model, args.out, tuple(args.input_size) if args.input_size else None,
                              batch_size=args.batch_size, dynamic=args.dynamic, opset=args.opset)
    except Exception as err:
        print(f'error: {type(err).__name__}: {err}', file=sys.stderr)
        return 2
    multitask = is_multitask(model)
    if multitask:
        how = 'Multitask-Net: boxes decoded in the graph, NMS and pose decoding after it'
    else:
        how = 'decoding in the graph' if decoded else 'raw outputs, decoded after the graph'
    print(f'exported {args.out} ({osp.getsize(args.out) / 1e6:.1f} MB, {how}, '
          f'batch {"dynamic" if args.dynamic else args.batch_size})')
    if args.no_check:
        return 0
    if multitask:
        return check_multitask(model, args)
    onnx_model = OnnxHeadPoseModel(args.out)
    from headpose.apis.onnx_model import crop_size_of
    w, h = tuple(args.input_size) if args.input_size else crop_size_of(model.cfg)
    rng = np.random.default_rng(0)
    n_random = max(args.batch_size, 4 if args.dynamic else args.batch_size)
    sets = {'random': rng.integers(0, 256, (n_random, 3, h, w), dtype=np.uint8)}
    paths = real_image_paths(args.check_images, REAL_SAMPLES, 'AFLW2000')
    if not args.input_size:  # real crops come from the pipeline, at the config's size
        real = image_crops(model.cfg, paths)
        if real is not None:
            sets['real images'] = real
        items = dataset_crops(model.cfg, args.num_dataset_items)
        if items is not None:
            sets['test set'] = items
    worst = 0.0
    for name, crops in sets.items():
        d_angle, d_rot = compare(torch_decode(model, crops), onnx_model.run(crops))
        worst = max(worst, d_angle, d_rot)
        print(f'  {name:11s} ({len(crops):3d} crops): max angle difference {d_angle:.2e} deg, '
              f'max rotation difference {d_rot:.2e} deg')
    verdict = 'OK' if worst < TOLERANCE else 'FAILED'
    print(f'max difference PyTorch vs ONNX Runtime: {worst:.2e} degrees '
          f'(tolerance {TOLERANCE}): {verdict}')
    return 0 if worst < TOLERANCE else 1


if __name__ == '__main__':
    sys.exit(main())
