"""The BIWI 70/30 protocol (FSA-Net's Protocol 2) as far as it can be reproduced.

What FSA-Net does (``data/TYY_create_db_biwi_70_30.py`` in shamangary/FSA-Net, the
script that writes its ``BIWI_train.npz`` / ``BIWI_test.npz``): a 0/1 flag per sequence
with 16 ones among the 24, shuffled by ``np.random.permutation`` with no seed set; the
16 flagged sequences (every frame of them) train, the other 8 test. "70/30" is about the
frames (16 of 24 sequences hold about 68 % of them), not a frame-level split. The
flags are printed, never saved, and no seed fixes them: which sequences FSA-Net (and the
papers that reuse its ``.npz`` files, Multitask-Net among them) trained on cannot be
regenerated, only read off its released ``.npz`` files, which hold 64 x 64 crops and
poses without sequence numbers or frame names.

What headpose does: the same structure (16 whole sequences train, 8 test, all frames),
with one split drawn once by the code below and kept here as constants so that it
never changes with a numpy version (a test re-runs the code)::

    import numpy as np
    rng = np.random.default_rng(20200521)
    perm = rng.permutation(np.arange(1, 25))
    train, test = sorted(perm[:16]), sorted(perm[16:])

What differs from FSA-Net: which 16 sequences train (FSA-Net's are unknown), and the
crops (FSA-Net crops MTCNN detections enlarged by 40 % to 64 x 64; headpose crops boxes
projected from the head centre, or a box file). For FSA-Net's exact test frames, a
crop-based model can be tested on its ``BIWI_test.npz`` with ``BIWINpzDataset``. BIWI
has 24 sequences of 20 people (4 recorded twice), so a person may appear on both sides.
Before 2026-11-30 the split had 17 training sequences (sequence 15 was in training).
"""

#: The seed of the split's generating code (in the module docstring).
BIWI_SPLIT_SEED = 20200521
#: Training sequences (folder names ``01`` ... ``24`` as integers): 16, as in FSA-Net.
BIWI_70_30_TRAIN = (1, 3, 4, 5, 6, 7, 8, 11, 13, 16, 17, 19, 20, 21, 22, 24)
#: Test sequences: 8, as in FSA-Net.
BIWI_70_30_TEST = (2, 9, 10, 12, 14, 15, 18, 23)
#: Split name -> sequences, for ``BIWIDataset(split=...)``.
BIWI_SPLITS = dict(train=BIWI_70_30_TRAIN, test=BIWI_70_30_TEST)


def generate_split(seed: int = BIWI_SPLIT_SEED, num_train: int = 16) -> tuple:
    """Re-runs the generating code: ``(train, test)`` tuples of sequence numbers."""
    import numpy as np
    perm = np.random.default_rng(seed).permutation(np.arange(1, 25))
    return (tuple(sorted(int(s) for s in perm[:num_train])),
            tuple(sorted(int(s) for s in perm[num_train:])))


__all__ = ['BIWI_70_30_TEST', 'BIWI_70_30_TRAIN', 'BIWI_SPLITS', 'BIWI_SPLIT_SEED',
           'generate_split']
