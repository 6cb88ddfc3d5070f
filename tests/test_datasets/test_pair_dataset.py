"""Tests of PairDataset: partners share the identity, go through the pipeline separately."""

import numpy as np
import pytest

from headpose.datasets import BaseHeadPoseDataset, PairDataset
from headpose.registry import DATASETS
from headpose.structures import euler_to_matrix


@DATASETS.register_module(force=True)
class _ToyDataset(BaseHeadPoseDataset):
    """Tiny in-memory samples with identities 0, 0, 0, 1, 1, 2."""

    def __init__(self, identities=(0, 0, 0, 1, 1, 2), **kwargs):
        self.identities = identities
        super().__init__(pipeline=[dict(type='LoadImage'), dict(type='PackHeadPoseInputs')],
                         serialize_data=False, **kwargs)

    def load_data_list(self):
        return [dict(img=np.full((4, 4, 3), i, np.uint8), img_path=f'{i}.png',
                     rotation=euler_to_matrix(np.array([float(i), 0, 0])), identity=ident)
                for i, ident in enumerate(self.identities)]


def test_partners_share_identity_and_differ():
    pairs = PairDataset(dict(type='_ToyDataset'))
    np.random.seed(0)
    seen = set()
    for _ in range(10):
        for idx in range(len(pairs)):
            j = pairs.partner(idx)
            assert pairs.dataset.get_identity(j) == pairs.dataset.get_identity(idx)
            if idx != 5:
                assert j != idx
            seen.add((idx, j))
    assert pairs.partner(5) == 5  # alone in its identity
    assert {(0, 1), (0, 2)} <= seen  # both partners of sample 0 are drawn


def test_item_layout_and_roles():
    pairs = PairDataset(dict(type='_ToyDataset'))
    item = pairs[3]
    assert len(item['inputs']) == 2 and len(item['data_samples']) == 2
    assert [s.pair_role for s in item['data_samples']] == [0, 1]
    assert item['inputs'][0][0, 0, 0] == 3 and item['inputs'][1][0, 0, 0] == 4


def test_missing_identity_is_named():
    pairs = PairDataset(dict(type='_ToyDataset', identities=(0, None)))
    with pytest.raises(ValueError, match="sample 1 .*identity"):
        pairs[0]
