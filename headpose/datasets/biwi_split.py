"""The BIWI 70/30 protocol: a fixed, published split of the 24 BIWI Kinect sequences.

Papers train on "70 %" of BIWI and test on the rest without publishing which sequences
those are. headpose fixes one split, generated once by the code below and kept here as
constants so that it never changes with a numpy version (a test re-runs the code and
checks it still gives these lists)::

    import numpy as np
    rng = np.random.default_rng(20200521)
    perm = rng.permutation(np.arange(1, 25))
    train, test = sorted(perm[:17]), sorted(perm[17:])

17 of 24 sequences (70.8 %) train and 7 (29.2 %) test; the split is by sequence, so
no frame of a test sequence is seen in training. BIWI has 24 sequences of 20 people
(4 people were recorded twice), so a person may still appear on both sides.
"""

#: The seed of the split's generating code (in the module docstring).
BIWI_SPLIT_SEED = 20200521
#: Training sequences (folder names ``01`` ... ``24`` as integers).
BIWI_70_30_TRAIN = (1, 3, 4, 5, 6, 7, 8, 11, 13, 15, 16, 17, 19, 20, 21, 22, 24)
#: Test sequences.
BIWI_70_30_TEST = (2, 9, 10, 12, 14, 18, 23)
#: Split name -> sequences, for ``BIWIDataset(split=...)``.
BIWI_SPLITS = dict(train=BIWI_70_30_TRAIN, test=BIWI_70_30_TEST)


def generate_split(seed: int = BIWI_SPLIT_SEED, num_train: int = 17) -> tuple:
    """Re-runs the generating code: ``(train, test)`` tuples of sequence numbers."""
    import numpy as np
    perm = np.random.default_rng(seed).permutation(np.arange(1, 25))
    return (tuple(sorted(int(s) for s in perm[:num_train])),
            tuple(sorted(int(s) for s in perm[num_train:])))


__all__ = ['BIWI_70_30_TEST', 'BIWI_70_30_TRAIN', 'BIWI_SPLITS', 'BIWI_SPLIT_SEED',
           'generate_split']
