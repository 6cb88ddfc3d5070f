# The BIWI 70/30 protocol: train on 16 of the 24 raw BIWI sequences and test on the
# other 8, as FSA-Net's Protocol 2 does, with the split published in
# headpose/datasets/biwi_split.py (seeded, fixed; FSA-Net's own sequences are unknown).
# Training items are pairs of frames of one sequence (PairDataset) for the ranking
# loss: batch_size=64 pairs = 128 images. Head boxes are the head centres projected
# with BIWI's RGB intrinsics (BIWIDataset). Layout: docs/dataset_prepare.md.
dataset_type = 'BIWIDataset'
data_root = 'data/BIWI/hpdb/'
input_size = (224, 224)

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropHead', input_size=input_size, padding=1.25, scale_range=(0.9, 1.1),
         shift=0.05),
    dict(type='GaussianNoise', prob=0.5, std_range=(2, 10)),
    dict(type='GaussianBlur', prob=0.5, sigma_range=(0.1, 2.0)),
    dict(type='PackHeadPoseInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropHead', input_size=input_size, padding=1.25),
    dict(type='PackHeadPoseInputs'),
]

train_dataloader = dict(
    batch_size=64,  # pairs: 128 images
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='PairDataset',
        dataset=dict(type=dataset_type, data_root=data_root, split='train',
                     pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='HeadPoseMAE')
test_evaluator = val_evaluator
