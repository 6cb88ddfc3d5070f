# The example plugin (projects/example_custom_head) shrunk for the tests: 32 px crops,
# 16 pairs, one epoch. Needs projects/example_custom_head on PYTHONPATH.
_base_ = ['../../../projects/example_custom_head/configs/r18_rot6d-geodesic_synthheads.py']

input_size = (32, 32)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropHead', input_size=input_size, scale_range=(0.9, 1.1), shift=0.05),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackHeadPoseInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropHead', input_size=input_size),
    dict(type='PackHeadPoseInputs'),
]
train_dataloader = dict(
    batch_size=8,
    dataset=dict(dataset=dict(num_samples=16, num_identities=4, img_size=48,
                              pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=8,
    dataset=dict(num_samples=8, num_identities=2, img_size=48, pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=1, by_epoch=True, begin=0, end=1,
                        convert_to_iter_based=True)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
