# The landmark route: MediaPipe's FaceMesh (468 points) with MediaPipe's canonical face
# fitted to them (Umeyama), after a second pass on the crop turned eye-level. No
# training, no checkpoint:
#   python tools/test.py configs/facemesh/facemesh_upright_aflw2000.py
# Choices made on the 98 development faces (configs/facemesh/README.md): FaceMesh sees
# the AFLW2000 protocol's head box (the 68-landmark box x 1.2) x 1.25, i.e. the box x 1.5
# (7.59; x 1.2 read 7.94, x 1.7 7.40 with the upright pass), the upright pass
# (7.59 -> 6.70), all 468 points weighted equally (MediaPipe's 33 Procrustes weights:
# 7.01). The crop given to the model is wider (view=0.75) so that the turned view has
# image in its corners.
# Test set: the 100-face AFLW2000 development set (data/aflw2000_dev, the papers'
# |angle| <= 99 filter); a full release with
#   --cfg-options test_dataloader.dataset.data_root=data/AFLW2000/
_base_ = ['../_base_/default_runtime.py']

view = 0.75
model = dict(type='FaceMeshPoseEstimator', view=view, upright_passes=2)

test_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropHead', input_size=(256, 256), padding=1.25 / view),
    dict(type='PackHeadPoseInputs'),
]
test_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='AFLW2000Dataset', data_root='data/aflw2000_dev', bbox_source='pt3d_68',
                 bbox_scale=1.2, filter_abs_angle=99, cache=False, test_mode=True,
                 pipeline=test_pipeline))
test_evaluator = dict(type='HeadPoseMAE', filter_abs_angle=None)
test_cfg = dict(type='TestLoop')
