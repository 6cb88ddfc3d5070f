# RankPose's protocol 1: train on 300W-LP (all 8 folders, 122,450 images), test on
# AFLW2000 with the papers' filter (|angle| <= 99 degrees: 1,969 of 2,000 images).
# Training items are pairs of one person (PairDataset) for the ranking loss:
# batch_size=64 pairs = 128 images a step, the paper's batch of 128.
# Data layout: docs/dataset_prepare.md. Annotations are parsed once and cached; set
# cache_dir=... on the datasets (or HEADPOSE_CACHE_DIR) if data_root is read-only.
train_dataset_type = 'W300LPDataset'
test_dataset_type = 'AFLW2000Dataset'
train_data_root = 'data/300W_LP/'
test_data_root = 'data/AFLW2000/'
input_size = (224, 224)

# The paper's augmentations: random crop / scale, Gaussian noise, Gaussian blur (no
# flip: 300W-LP holds mirrored copies already, the *_Flip folders).
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
        dataset=dict(type=train_dataset_type, data_root=train_data_root,
                     subsets=('AFW', 'HELEN', 'IBUG', 'LFPW', 'AFW_Flip', 'HELEN_Flip',
                              'IBUG_Flip', 'LFPW_Flip'),
                     bbox_scale=1.2, pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=test_dataset_type, data_root=test_data_root, bbox_source='pt3d_68',
                 bbox_scale=1.2, filter_abs_angle=99, test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
# The |angle| > 99 filter is the dataset's (on the released labels); the metric's own
# filter stays off so that images are filtered in exactly one place.
val_evaluator = dict(type='HeadPoseMAE', filter_abs_angle=None)
test_evaluator = val_evaluator
