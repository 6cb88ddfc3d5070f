"""SynthHeads: rendered 3D heads at known poses, generated on the fly from (seed, index)."""

import inspect
from typing import Optional, Sequence

import numpy as np

from headpose.datasets.base import BaseHeadPoseDataset
from headpose.registry import DATASETS
from headpose.structures import euler_to_matrix, head_motion_to_matrix

from .renderer import render_head, sample_identity

#: The options of ``render_head`` that ``SynthHeadsDataset(render_cfg=...)`` may set.
RENDER_OPTIONS = frozenset(inspect.signature(render_head).parameters) - {
    'identity', 'rotation', 'size', 'rng'}
#: The options of ``sample_identity`` that ``SynthHeadsDataset(identity_cfg=...)`` may set.
IDENTITY_OPTIONS = frozenset(inspect.signature(sample_identity).parameters) - {'rng'}
#: How the three drawn angles make a rotation (``SynthHeadsDataset(pose_sampling=...)``);
#: ``'mixed'`` alternates the two by person (``SynthHeadsDataset.load_data_list``).
POSE_SAMPLINGS = {'euler': euler_to_matrix, 'head_motion': head_motion_to_matrix}
POSE_SAMPLING_NAMES = (*POSE_SAMPLINGS, 'mixed')


def _checked(cfg: Optional[dict], name: str, func: str, options: frozenset) -> dict:
    """A copy of ``cfg`` (``{}`` for None); an error names any key ``func`` does not take."""
    cfg = dict(cfg or {})
    unknown = set(cfg) - options
    if unknown:
        raise ValueError(f'SynthHeadsDataset: {name} has unknown keys {sorted(unknown)}; '
                         f'{func} takes {sorted(options)}')
    return cfg


def sample_poses(rng: np.random.Generator, n: int, yaw_range: Sequence[float],
                 pitch_range: Sequence[float], roll_range: Sequence[float],
                 pitch_std: Optional[float] = None,
                 roll_std: Optional[float] = None) -> np.ndarray:
    """``n`` (yaw, pitch, roll) triples in degrees.

    Yaw is uniform over ``yaw_range``. Pitch and roll are uniform over their ranges, or,
    with a ``*_std``, normal around 0 with that deviation and clipped to the range (as
    in photographs of people, where large pitch and roll are rarer than large yaw).
    """
    def draw(lo_hi, std):
        if std is None:
            return rng.uniform(*lo_hi, n)
        return np.clip(rng.normal(0.0, std, n), *lo_hi)

    return np.stack([rng.uniform(*yaw_range, n), draw(pitch_range, pitch_std),
                     draw(roll_range, roll_std)], axis=1)


@DATASETS.register_module()
class SynthHeadsDataset(BaseHeadPoseDataset):
    """Head crops rendered on the fly; every sample is a pure function of (seed, index).

    Sample ``i`` shows identity ``i % num_identities`` at a pose drawn uniformly from
    the given ranges, so a split is defined by its seed alone and needs no files. Use
    different seeds for training and testing: identities and poses then differ.
    ``tools/dataset_converters/make_synthheads.py`` writes the same samples to disk.

    Args:
        num_samples: number of samples.
        num_identities: number of different people; pairs for the ranking loss are
            drawn among the samples of one identity.
        seed: the seed of the split.
        img_size: side of the rendered square crop, in pixels.
        yaw_range: yaw range in degrees; beyond (-90, 90) ``full_range`` defaults to True.
        pitch_range: pitch range in degrees.
        roll_range: roll range in degrees.
        pitch_std: if given, pitch is normal with this deviation (clipped to its range)
            instead of uniform; see ``sample_poses``.
        roll_std: the same for roll.
        pose_sampling: what the three angles drawn from the ranges are. ``'euler'``:
            the labels' own (yaw, pitch, roll) (:func:`euler_to_matrix`), each drawn
            independently. ``'head_motion'``: (turn, nod, tilt) as a person moves the
            head (:func:`head_motion_to_matrix`): at large yaw the heads then nod as
            often as frontal ones do, which independent Euler pitch and roll cannot give
            (their axes meet there), and the labels show the large, coupled Euler pitch
            and roll of real profiles (``docs/conventions.md``). ``'mixed'``: half of
            each person's samples one way, half the other (sample ``i`` is of person
            ``i % num_identities``, and its angles are head motion when
            ``i // num_identities`` is odd): the poses of both, for a head that
            regresses both (``CombinedCodec``).
        cache: keep rendered images in memory (per process) after the first epoch.
        render_cfg: keyword arguments of :func:`render_head` (all but ``identity``,
            ``rotation``, ``size`` and ``rng``), e.g. ``dict(scale=0.65,
            bbox_source='landmarks', background_style='natural', face_detail=True)``
            for crops like real photographs (``configs/rankpose/README.md``).
        identity_cfg: keyword arguments of :func:`sample_identity` (all but ``rng``),
            e.g. ``dict(face_geometry='measured')`` for the proportions of real faces.
        **kwargs: the arguments of :class:`BaseHeadPoseDataset` (``pipeline``,
            ``test_mode``, ``full_range``, ...). ``data_root`` and ``ann_file`` are unused.
    """

    def __init__(self, num_samples: int = 1000, num_identities: int = 100, seed: int = 0,
                 img_size: int = 128, yaw_range: Sequence[float] = (-90, 90),
                 pitch_range: Sequence[float] = (-60, 60),
                 roll_range: Sequence[float] = (-45, 45), pitch_std: Optional[float] = None,
                 roll_std: Optional[float] = None, pose_sampling: str = 'euler',
                 cache: bool = False, render_cfg: Optional[dict] = None,
                 identity_cfg: Optional[dict] = None,
                 **kwargs):
        if num_samples < 1 or num_identities < 1:
            raise ValueError('SynthHeadsDataset: num_samples and num_identities must be >= 1, '
                             f'got {num_samples} and {num_identities}')
        self.num_samples = num_samples
        self.num_identities = num_identities
        self.seed = seed
        self.img_size = img_size
        self.ranges = (tuple(yaw_range), tuple(pitch_range), tuple(roll_range))
        self.stds = (pitch_std, roll_std)
        if pose_sampling not in POSE_SAMPLING_NAMES:
            raise ValueError(f'SynthHeadsDataset: pose_sampling must be one of '
                             f'{POSE_SAMPLING_NAMES}, got {pose_sampling!r}')
        self.pose_sampling = pose_sampling
        self.cache = cache
        self.render_cfg = _checked(render_cfg, 'render_cfg', 'render_head', RENDER_OPTIONS)
        self.identity_cfg = _checked(identity_cfg, 'identity_cfg', 'sample_identity',
                                     IDENTITY_OPTIONS)
        self._images = {}
        kwargs.setdefault('full_range', max(abs(float(v)) for v in yaw_range) > 90)
        self._identities = {}
        super().__init__(**kwargs)

    def load_data_list(self) -> list:
        rng = np.random.default_rng([self.seed, 0])
        poses = sample_poses(rng, self.num_samples, *self.ranges, *self.stds)
        if self.pose_sampling == 'mixed':
            motion = (np.arange(self.num_samples) // self.num_identities) % 2 == 1
            rotations = np.where(motion[:, None, None], head_motion_to_matrix(poses),
                                 euler_to_matrix(poses))
        else:
            rotations = POSE_SAMPLINGS[self.pose_sampling](poses)
        return [dict(img_path=f'synthheads/seed{self.seed}/{i:06d}.png',
                     gt_rotations=rotations[i][None], identity=i % self.num_identities)
                for i in range(self.num_samples)]

    def identity_params(self, identity: int) -> dict:
        """The appearance of one person, a pure function of (seed, identity)."""
        if identity not in self._identities:
            self._identities[identity] = sample_identity(
                np.random.default_rng([self.seed, 1, identity]), **self.identity_cfg)
        return self._identities[identity]

    def render(self, idx: int, info: Optional[dict] = None) -> tuple:
        """Renders sample ``idx``: returns ``(img, bbox)``."""
        info = info if info is not None else super().get_data_info(idx)
        if self.cache and idx in self._images:
            return self._images[idx]
        out = render_head(self.identity_params(info['identity']), info['gt_rotations'][0],
                          size=self.img_size, rng=np.random.default_rng([self.seed, 2, idx]),
                          **self.render_cfg)
        if self.cache:
            self._images[idx] = out
        return out

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        img, bbox = self.render(idx, info)
        info['img'] = img
        info['gt_bboxes'] = np.asarray(bbox, dtype=np.float32).reshape(1, 4)
        return info
