"""A dataset wrapper that yields two images of the same person, for the ranking loss."""

import copy
from collections import defaultdict
from typing import Union

import numpy as np
from mmengine.dataset import BaseDataset

from headpose.registry import DATASETS


@DATASETS.register_module()
class PairDataset:
    """Yields, for each sample, a second sample of the same identity.

    Both go through the wrapped dataset's pipeline independently. Item ``i`` is
    ``dict(inputs=[img_a, img_b], data_samples=[sample_a, sample_b])``; the data
    preprocessor puts all first images of a batch before all second images, so the
    model runs one batched forward pass over both halves of every pair. The partner
    of ``i`` is drawn from the other samples of its identity (``i`` itself if it is
    alone) with numpy's global generator, like every random augmentation, so a run
    is reproducible from its seed (and resumable: ``RNGStateHook`` saves the state).

    Args:
        dataset: the wrapped dataset or its config; it must give identities through
            ``get_identity(idx)``.
    """

    def __init__(self, dataset: Union[dict, BaseDataset]):
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self._groups = None
        self._group_of = None

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self.dataset.metainfo)

    def full_init(self) -> None:
        """Groups the wrapped dataset's samples by identity (once)."""
        if self._groups is not None:
            return
        self.dataset.full_init()
        by_id = defaultdict(list)
        for idx in range(len(self.dataset)):
            identity = self.dataset.get_identity(idx)
            if identity is None:
                raise ValueError(
                    f'PairDataset: sample {idx} of {type(self.dataset).__name__} has no '
                    "'identity'; pairs for the ranking loss need one per sample")
            by_id[identity].append(idx)
        self._groups = [np.asarray(v, dtype=np.int64) for v in by_id.values()]
        self._group_of = np.empty(len(self.dataset), dtype=np.int64)
        for g, members in enumerate(self._groups):
            self._group_of[members] = g

    def partner(self, idx: int) -> int:
        """The index of the second image of pair ``idx``."""
        self.full_init()
        members = self._groups[self._group_of[idx]]
        if len(members) == 1:
            return int(idx)
        others = members[members != idx]
        return int(others[np.random.randint(len(others))])

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, idx: int) -> dict:
        self.full_init()
        first = self.dataset[idx]
        second = self.dataset[self.partner(idx)]
        for role, item in enumerate((first, second)):
            item['data_samples'].set_metainfo(dict(pair_role=role))
        return dict(inputs=[first['inputs'], second['inputs']],
                    data_samples=[first['data_samples'], second['data_samples']])
