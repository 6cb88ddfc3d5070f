# The paper's 300W-LP -> BIWI row: the model of r50_arccos_300wlp.py (train with that
# config), tested on all of BIWI as preprocessed by FSA-Net (BIWI_noTrack.npz). The one
# change: the test set (to test on the raw release instead: dict(type='BIWIDataset',
# data_root='data/BIWI/hpdb/') with the AFLW2000 test pipeline).
_base_ = ['./r50_arccos_300wlp.py']

biwi_test_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropHead', input_size=(224, 224), padding=1.0),  # the whole 64x64 crop
    dict(type='PackHeadPoseInputs'),
]
test_dataloader = dict(
    dataset=dict(_delete_=True, type='BIWINpzDataset', data_root='data/BIWI/',
                 ann_file='BIWI_noTrack.npz', channel_order='bgr', test_mode=True,
                 pipeline=biwi_test_pipeline))
test_evaluator = dict(type='HeadPoseMAE', filter_abs_angle=None)
