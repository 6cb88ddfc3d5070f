# RankPose (arccos, MSE + ranking) under the BIWI 70/30 protocol: trained on 17 raw BIWI
# sequences, tested on the other 7 (the fixed split of headpose/datasets/biwi_split.py).
# The one change from r50_arccos_300wlp.py: the data (pairs = two frames of one sequence,
# 64 pairs a step; head boxes are the head centres projected with BIWI's RGB intrinsics).
_base_ = ['./r50_arccos_300wlp.py']

data_root = 'data/BIWI/hpdb/'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropHead', input_size=(224, 224), padding=1.25, scale_range=(0.9, 1.1),
         shift=0.05),
    dict(type='GaussianNoise', prob=0.5, std_range=(2, 10)),
    dict(type='GaussianBlur', prob=0.5, sigma_range=(0.1, 2.0)),
    dict(type='PackHeadPoseInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropHead', input_size=(224, 224), padding=1.25),
    dict(type='PackHeadPoseInputs'),
]
train_dataloader = dict(
    dataset=dict(
        type='PairDataset',
        dataset=dict(_delete_=True, type='BIWIDataset', data_root=data_root, split='train',
                     pipeline=train_pipeline)))
val_dataloader = dict(
    dataset=dict(_delete_=True, type='BIWIDataset', data_root=data_root, split='test',
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='HeadPoseMAE', filter_abs_angle=None)
test_evaluator = val_evaluator
