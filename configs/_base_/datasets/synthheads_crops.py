# SynthHeads head crops, rendered on the fly from (seed, index): no download needed.
# Training pairs two images of one identity for the ranking loss (PairDataset).
dataset_type = 'SynthHeadsDataset'
input_size = (64, 64)
# Poses like photographs of people: yaw uniform, pitch and roll normal (std 15 and 10
# degrees) and clipped. Note that the bounded RankPose heads cannot output every
# triple: with orthonormal output weights, arccos outputs satisfy
# sin^2(yaw) + sin^2(pitch) + sin^2(roll) <= 1 (see configs/rankpose/README.md).
pose_ranges = dict(yaw_range=(-60, 60), pitch_range=(-40, 40), roll_range=(-30, 30),
                   pitch_std=15, roll_std=10)

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropHead', input_size=input_size, padding=1.25, scale_range=(0.9, 1.1),
         shift=0.05),
    dict(type='RandomFlip', prob=0.5),
    dict(type='GaussianNoise', prob=0.3, std_range=(2, 8)),
    dict(type='GaussianBlur', prob=0.3, sigma_range=(0.1, 1.0)),
    dict(type='PackHeadPoseInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropHead', input_size=input_size, padding=1.25),
    dict(type='PackHeadPoseInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='PairDataset',
        dataset=dict(type=dataset_type, num_samples=2500, num_identities=250, seed=0,
                     img_size=96, cache=True, pipeline=train_pipeline, **pose_ranges)))
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, num_samples=500, num_identities=50, seed=1, img_size=96,
                 cache=True, test_mode=True, pipeline=test_pipeline, **pose_ranges))
test_dataloader = val_dataloader
val_evaluator = dict(type='HeadPoseMAE')
test_evaluator = val_evaluator
