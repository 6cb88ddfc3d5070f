# The tiny RankPose run on files written by make_synthheads.py (paths set by the tests).
_base_ = ['./tiny_rankpose_synthheads.py']
train_dataloader = dict(
    dataset=dict(dataset=dict(_delete_=True, type='TopDownCocoDataset', ann_file='MISSING',
                              data_prefix=dict(img=''),
                              pipeline={{_base_.train_pipeline}})))
val_dataloader = dict(
    dataset=dict(_delete_=True, type='TopDownCocoDataset', ann_file='MISSING',
                 data_prefix=dict(img=''), test_mode=True, pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
