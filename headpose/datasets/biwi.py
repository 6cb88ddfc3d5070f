"""BIWI Kinect Head Pose: the raw release (frames + ``*_pose.txt``) and FSA-Net's ``.npz``."""

import os
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.logging import print_log

from headpose.registry import DATASETS
from headpose.structures import euler_to_matrix

from .ann_cache import PoseTable, identity_table, load_folder_annotations, scan_annotated_folder
from .base import BaseHeadPoseDataset
from .biwi_split import BIWI_SPLITS

#: BIWI's RGB camera: (fx, fy, cx, cy) in pixels, for 640 x 480 frames.
BIWI_RGB_INTRINSICS = (517.679, 517.679, 320.0, 240.5)
#: The side of the head box in millimetres when it is projected from the head centre.
BIWI_HEAD_SIZE_MM = 170.0


def read_biwi_pose(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Reads a BIWI ``frame_XXXXX_pose.txt``: three rows of the 3x3 head rotation, a blank
    line, then the head centre in millimetres.

    Returns:
        ``(rotation (3, 3), centre (3,))`` as written in the file.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: naming the file if it does not have that layout.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'BIWI pose file not found: {path}')
    with open(path) as f:
        rows = [line.split() for line in f if line.strip()]
    expected = ('expected three rows of 3 numbers (the head rotation), a blank line and '
                'one row of 3 numbers (the head centre in mm)')
    if len(rows) != 4 or any(len(r) != 3 for r in rows):
        raise ValueError(f'{path}: not a BIWI pose file: {expected}; got rows of '
                         f'{[len(r) for r in rows]} values')
    try:
        values = np.array(rows, dtype=np.float64)
    except ValueError as err:
        raise ValueError(f'{path}: not a BIWI pose file ({err}): {expected}')
    if not np.all(np.isfinite(values)):
        raise ValueError(f'{path}: non-finite values in the BIWI pose file')
    return values[:3], values[3]


def biwi_rotation_to_angles(rotation: np.ndarray) -> np.ndarray:
    """BIWI's head rotation -> (yaw, pitch, roll) in degrees, in headpose's convention.

    The conversion of ``real_samples/README.md``: ``M = R^T``, then
    ``yaw = -atan2(-M[2,0], hypot(M[2,1], M[2,2]))``, ``pitch = atan2(M[2,1], M[2,2])``,
    ``roll = -atan2(M[1,0], M[0,0])``.

    Why: headpose reads a rotation R by decomposing ``R^T = Rz(roll) Ry(yaw) Rx(pitch)``
    (``matrix_to_euler``): the same transposition and decomposition as above, with yaw
    and roll of the opposite sign. So the conversion equals ``matrix_to_euler(S R S)``
    with ``S = diag(-1, 1, 1)``, and headpose's rotation label is ``S R S``: BIWI's head
    rotation expressed in a camera frame whose x axis is mirrored. This is the
    conversion with which models trained on 300W-LP reach the published BIWI errors;
    public code disagrees on the sign of BIWI pitch, and tests pin this one to the
    values of the real sample (sequence 12, frame 3).
    """
    m = np.asarray(rotation, dtype=np.float64).T
    yaw = -np.arctan2(-m[2, 0], np.hypot(m[2, 1], m[2, 2]))
    pitch = np.arctan2(m[2, 1], m[2, 2])
    roll = -np.arctan2(m[1, 0], m[0, 0])
    return np.degrees(np.array([yaw, pitch, roll]))


def parse_biwi_pose(path: str) -> Dict[str, np.ndarray]:
    """One pose file -> ``dict(angles=(yaw, pitch, roll) degrees, centre=(3,) mm)``."""
    rotation, centre = read_biwi_pose(path)
    return dict(angles=biwi_rotation_to_angles(rotation), centre=centre)


def project_head_boxes(centres: np.ndarray, head_size_mm: float = BIWI_HEAD_SIZE_MM,
                       intrinsics: Sequence[float] = BIWI_RGB_INTRINSICS) -> np.ndarray:
    """Square head boxes around the head centres projected into the RGB frame.

    ``u = fx X / Z + cx``, ``v = fy Y / Z + cy`` (pinhole, y down, like OpenCV), side
    ``head_size_mm * fx / Z``. The centre is measured in the depth camera's frame; the
    few centimetres between BIWI's depth and RGB cameras (their extrinsics are in each
    sequence's ``rgb.cal``) are ignored, which shifts the box by about 15 pixels at
    1 m: small next to the box (about 90 pixels) and the crop's padding.

    Args:
        centres: (N, 3) head centres (x, y, z) in millimetres.
        head_size_mm: the box side in millimetres.
        intrinsics: (fx, fy, cx, cy) of the RGB camera.

    Returns:
        (N, 4) [x1, y1, x2, y2] float32 boxes.
    """
    c = np.asarray(centres, dtype=np.float64).reshape(-1, 3)
    if np.any(c[:, 2] <= 0):
        raise ValueError(f'BIWI head centres must lie in front of the camera (z > 0), got '
                         f'z = {c[c[:, 2] <= 0, 2][:5].tolist()}')
    fx, fy, cx, cy = intrinsics
    u = fx * c[:, 0] / c[:, 2] + cx
    v = fy * c[:, 1] / c[:, 2] + cy
    half = head_size_mm * fx / c[:, 2] / 2
    return np.stack([u - half, v - half, u + half, v + half], axis=1).astype(np.float32)


def read_boxes_file(path: str) -> Dict[str, np.ndarray]:
    """Reads head boxes: one line ``<seq>/frame_XXXXX_rgb.png x1 y1 x2 y2`` per frame.

    Lines starting with ``#`` are comments. Paths are relative to the BIWI data root.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'BIWI boxes file not found: {path}')
    boxes = {}
    with open(path) as f:
        for num, line in enumerate(f, 1):
            parts = line.split()
            if not parts or parts[0].startswith('#'):
                continue
            try:
                if len(parts) != 5:
                    raise ValueError(f'{len(parts)} fields')
                box = np.array(parts[1:], dtype=np.float32)
            except ValueError as err:
                raise ValueError(f'{path}:{num}: expected "<seq>/frame_XXXXX_rgb.png x1 y1 '
                                 f'x2 y2" ({err})')
            boxes[osp.normpath(parts[0])] = box
    return boxes


def _seq_name(seq: Union[int, str]) -> str:
    return f'{int(seq):02d}'


@DATASETS.register_module()
class BIWIDataset(BaseHeadPoseDataset):
    """BIWI Kinect Head Pose (Fanelli et al., 2013), the raw release as it is.

    ``data_root`` is the release's ``hpdb`` folder with the sequence folders ``01`` ...
    ``24``, each with ``frame_XXXXX_rgb.png`` + ``frame_XXXXX_pose.txt`` (about 15,678
    frames in all). Labels: :func:`biwi_rotation_to_angles`, then ``euler_to_matrix``.
    Head box: from ``bbox_file`` (see :func:`read_boxes_file`) if given, else the head
    centre of the pose file projected with BIWI's RGB intrinsics
    (:func:`project_head_boxes`). Identity: the sequence (pairs for the ranking loss
    stay inside one recording).

    Args:
        sequences: sequence numbers to read (``None``: all found, or those of ``split``).
        split: ``'train'`` or ``'test'`` of the published 70/30 split
            (:mod:`headpose.datasets.biwi_split`).
        bbox_file: a text file of head boxes (relative paths join ``data_root``).
        head_size_mm: side of the projected head box in millimetres.
        intrinsics: (fx, fy, cx, cy) of the RGB camera.
        cache: use the annotation cache (see :mod:`headpose.datasets.ann_cache`).
        cache_dir: where the cache lives.
        serialize_data: mmengine's option; ``False`` because the table is compact already.
        **kwargs: the arguments of :class:`BaseHeadPoseDataset`.
    """

    PARSER_VERSION = 1

    def __init__(self, sequences: Optional[Sequence[Union[int, str]]] = None,
                 split: Optional[str] = None, bbox_file: Optional[str] = None,
                 head_size_mm: float = BIWI_HEAD_SIZE_MM,
                 intrinsics: Sequence[float] = BIWI_RGB_INTRINSICS, cache: bool = True,
                 cache_dir: Optional[str] = None, serialize_data: bool = False, **kwargs):
        if split is not None and split not in BIWI_SPLITS:
            raise ValueError(f'BIWIDataset: split must be one of {list(BIWI_SPLITS)} or None, '
                             f'got {split!r}')
        if split is not None and sequences is not None:
            raise ValueError('BIWIDataset: give either sequences or split, not both')
        if split is not None:
            sequences = BIWI_SPLITS[split]
        self.sequences = None if sequences is None else [_seq_name(s) for s in sequences]
        self.split = split
        self.bbox_file = bbox_file
        self.head_size_mm = head_size_mm
        self.intrinsics = tuple(intrinsics)
        self.cache = cache
        self.cache_dir = cache_dir
        super().__init__(serialize_data=serialize_data, **kwargs)

    def _find_sequences(self) -> list:
        root = self.data_root
        if not root or not osp.isdir(root):
            raise FileNotFoundError(
                f'BIWIDataset: data_root {root!r} is not a folder; it must be the hpdb folder '
                'of the BIWI release holding the sequence folders 01 ... 24')
        found = sorted(d for d in os.listdir(root)
                       if d.isdigit() and osp.isdir(osp.join(root, d)))
        if self.sequences is None:
            if not found:
                hint = ' (it has an hpdb folder: point data_root at it)' \
                    if osp.isdir(osp.join(root, 'hpdb')) else ''
                raise FileNotFoundError(
                    f'BIWIDataset: no sequence folder (01 ... 24) in {root}{hint}; expected '
                    '<data_root>/NN/frame_XXXXX_rgb.png + frame_XXXXX_pose.txt '
                    '(see docs/dataset_prepare.md)')
            return found
        absent = [s for s in self.sequences if s not in found]
        if absent:
            raise FileNotFoundError(
                f'BIWIDataset: sequence folders {", ".join(absent)} not found in {root} '
                f'(found: {", ".join(found) or "none"}); expected <data_root>/NN/'
                'frame_XXXXX_rgb.png + frame_XXXXX_pose.txt')
        return list(self.sequences)

    def _load_sequence(self, seq: str) -> Tuple[list, Dict[str, np.ndarray]]:
        folder = osp.join(self.data_root, seq)
        listing = scan_annotated_folder(folder, '_pose.txt', '_rgb.png', 'BIWIDataset',
                                        'frame_XXXXX_pose.txt beside each frame_XXXXX_rgb.png')
        arrays = load_folder_annotations(
            listing, 'biwi', parse_biwi_pose, parser_version=self.PARSER_VERSION,
            data_root=self.data_root, cache=self.cache, cache_dir=self.cache_dir,
            desc=f'parsing BIWI sequence {seq}')
        relpaths = [f'{seq}/{s.decode("utf-8")}_rgb.png' for s in arrays['stems']]
        return relpaths, arrays

    def load_data_list(self) -> PoseTable:
        relpaths, angles, centres, ids = [], [], [], []
        for seq in self._find_sequences():
            paths, arrays = self._load_sequence(seq)
            relpaths += paths
            angles.append(arrays['angles'])
            centres.append(arrays['centre'])
            ids += [seq] * len(paths)
        angles, centres = np.concatenate(angles), np.concatenate(centres)
        if self.bbox_file:
            path = self.bbox_file if osp.isabs(self.bbox_file) else \
                osp.join(self.data_root, self.bbox_file)
            given = read_boxes_file(path)
            absent = [p for p in relpaths if osp.normpath(p) not in given]
            if absent:
                raise ValueError(f'BIWIDataset: {path} has no box for {len(absent)} frames, '
                                 f'e.g. {", ".join(absent[:5])}')
            boxes = np.stack([given[osp.normpath(p)] for p in relpaths])
        else:
            boxes = project_head_boxes(centres, self.head_size_mm, self.intrinsics)
        codes, names = identity_table(ids)
        print_log(f'BIWI: {len(relpaths)} frames of {len(names)} sequences'
                  + (f' (70/30 split: {self.split})' if self.split else ''), logger='current')
        return PoseTable(self.data_root, np.array([p.encode() for p in relpaths]),
                         euler_to_matrix(angles), boxes, codes, names)

    def get_identity(self, idx: int) -> Optional[str]:
        self.full_init()
        if isinstance(self.data_list, PoseTable) and not self.serialize_data:
            return self.data_list.identity(idx)
        return super().get_identity(idx)


def load_fsanet_npz(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Reads an FSA-Net ``.npz``: ``image`` (N, H, W, 3) uint8 and ``pose`` (N, 3) degrees.

    Returns:
        ``(images, poses)``; poses are (yaw, pitch, roll) in degrees.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: naming the file if an array is missing, has the wrong shape or type,
            or the two arrays disagree in length.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'BIWI .npz file not found: {path}')
    expected = ("expected FSA-Net's arrays 'image' (N, H, W, 3) uint8 and 'pose' (N, 3) "
                '= yaw, pitch, roll in degrees')
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in ('image', 'pose') if k not in npz.files]
            if missing:
                raise ValueError(f'{path}: no array {", ".join(missing)} (has '
                                 f'{", ".join(npz.files) or "none"}); {expected}')
            images, poses = npz['image'], npz['pose']
    except ValueError:
        raise
    except Exception as err:
        raise ValueError(f'{path}: cannot read this .npz ({type(err).__name__}: {err}); '
                         f'{expected}')
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(f'{path}: image has shape {images.shape} and dtype {images.dtype}; '
                         f'{expected}')
    if poses.ndim != 2 or poses.shape[1] != 3:
        raise ValueError(f'{path}: pose has shape {poses.shape}; {expected}')
    if len(images) != len(poses):
        raise ValueError(f'{path}: {len(images)} images but {len(poses)} poses; {expected}')
    if len(images) == 0:
        raise ValueError(f'{path}: the arrays are empty; {expected}')
    poses = poses.astype(np.float64)
    bad = np.where(~np.all(np.isfinite(poses), axis=1))[0]
    if len(bad):
        raise ValueError(f'{path}: non-finite pose of samples {bad[:5].tolist()}')
    return images, poses


@DATASETS.register_module()
class BIWINpzDataset(BaseHeadPoseDataset):
    """BIWI as preprocessed by FSA-Net (``BIWI_noTrack.npz``, ...), held in memory.

    The ``.npz`` holds ``image`` (N, 64, 64, 3) uint8 face crops and ``pose`` (N, 3) =
    (yaw, pitch, roll) in degrees, the order and convention in which the papers report
    BIWI; the rotation label is ``euler_to_matrix(pose)``. Each sample's image is put
    in its data info as ``img`` (``LoadImage`` keeps a given image); its ``img_path`` is
    ``<file>.npz#<index>`` and its box the whole crop. Use ``CropHead(padding=1.0)`` to
    resize the crops.

    Args:
        ann_file: the ``.npz`` file (joined to ``data_root`` if relative).
        channel_order: ``'bgr'`` (FSA-Net wrote the crops with OpenCV) or ``'rgb'``.
        serialize_data: mmengine's option; ``False``: the images stay one shared array.
        **kwargs: the arguments of :class:`BaseHeadPoseDataset`.
    """

    def __init__(self, ann_file: str, channel_order: str = 'bgr',
                 serialize_data: bool = False, **kwargs):
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"BIWINpzDataset: channel_order must be 'bgr' or 'rgb', "
                             f'got {channel_order!r}')
        self.channel_order = channel_order
        super().__init__(ann_file=ann_file, serialize_data=serialize_data, **kwargs)

    def load_data_list(self) -> PoseTable:
        images, poses = load_fsanet_npz(self.ann_file)
        if self.channel_order == 'rgb':
            images = np.ascontiguousarray(images[..., ::-1])
        n, h, w = images.shape[:3]
        name = osp.basename(self.ann_file)
        relpaths = np.array([f'{name}#{i:05d}'.encode() for i in range(n)])
        boxes = np.tile(np.array([0, 0, w, h], dtype=np.float32), (n, 1))
        print_log(f'BIWI (.npz): {n} crops of {w}x{h} from {self.ann_file}', logger='current')
        return PoseTable(osp.dirname(self.ann_file), relpaths, euler_to_matrix(poses), boxes,
                         images=images)


__all__ = ['BIWIDataset', 'BIWINpzDataset', 'BIWI_HEAD_SIZE_MM', 'BIWI_RGB_INTRINSICS',
           'biwi_rotation_to_angles', 'load_fsanet_npz', 'parse_biwi_pose',
           'project_head_boxes', 'read_biwi_pose', 'read_boxes_file']
