# A tiny RankPose run for the tool tests: 32 px crops, 32 pairs, 2 epochs.
_base_ = ['../../../configs/rankpose/r18_arccos_synthheads.py']

input_size = (32, 32)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropHead', input_size=input_size, scale_range=(0.9, 1.1), shift=0.05),
    dict(type='RandomFlip', prob=0.5),
    dict(type='GaussianNoise', prob=0.3),
    dict(type='PackHeadPoseInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropHead', input_size=input_size),
    dict(type='PackHeadPoseInputs'),
]
train_dataloader = dict(
    batch_size=8,
    dataset=dict(dataset=dict(num_samples=32, num_identities=8, img_size=48,
                              pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=8,
    dataset=dict(num_samples=16, num_identities=4, img_size=48, pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=2, val_interval=2)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=2, by_epoch=True, begin=0, end=2,
                        convert_to_iter_based=True)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
