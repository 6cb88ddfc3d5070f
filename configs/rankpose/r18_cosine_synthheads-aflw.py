# RankPose-r18 (cosine) for real photographs, learnt from real pictures and SynthHeads:
# the real-face config (r18_cosine_synthheads-real.py) with 18,296 real AFLW faces added
# to its renders. AFLW gives each face's yaw; pitch and roll come from a teacher, the
# FaceMesh route (configs/facemesh), as partial labels: where the teacher is unsure or
# the face is turned beyond 60 degrees they are unknown and not trained on; below 45
# degrees the sure teacher's yaw replaces AFLW's (closer to AFLW2000's labels on the
# development faces: 2.5 degrees off, AFLW's 4.8). The renders
# give what the real data lacks: profiles, large roll, exact labels. The network answers
# alone: no teacher at test time.
# prepare: python tools/dataset_converters/pseudo_label.py data/aflw_crops/AFLW_GT_crop work_dirs/labels/aflw_crops_facemesh.json --crops --list data/aflw_crops/AFLW_GT_crop.list
# (19,080 crops in 1 min 42 s on the 2-core CPU; data/aflw_crops as docs/dataset_prepare.md
# lays it out, AFLW2000-3D left out: exclude_lists below refuses its 2,000 names anyway.)
# Pairs for the ranking loss: SynthHeads pairs two renders of one person; AFLW has no
# identities, so a crop is paired with another person's crop (pairing='across'): the pair
# is ranked along the angles both know. The other choice, a crop with an augmented twin
# of itself (pairing='twin': only the random flip changes its pose, so pitch is never
# ranked), read 5.77 with pitch 7.50 against 5.56 and 6.78 (one run each, 64 x 64 crops).
# Test set: the 100-face AFLW2000 development set (data/aflw2000_dev). Seed 0, from a
# fresh clone: MAE 5.06 (yaw 3.61, pitch 6.68, roll 4.88; the teacher 6.28, SynthHeads
# alone 8.75), 5.46 on BlazeFace's boxes (97 faces found; 4.93 on their labelled boxes);
# tools/train.py 54 min 33 s on the 2-core CPU. Without the steep renders and turned
# crops below: 5.32 and 5.38 (seeds 0 and 1). The same recipe at 64 x 64 in float32
# (12,000 renders, 5 epochs): 5.56 (configs/rankpose/README.md,
# docs/real_faces_experiments.md). Seed 1 of this config (--cfg-options
# randomness.seed=1): 5.02 (yaw 3.54, pitch 6.52, roll 5.01).
_base_ = ['./r18_cosine_synthheads-real.py']

# 96 x 96 crops (at 64 x 64 this config read near-frontal faces 0.56 degrees behind the
# teacher), trained under bfloat16 autocast: on a CPU with bfloat16 instructions
# (AVX512-BF16 here) a ResNet-18 step at 96 x 96 costs 1.14 times a float32 64 x 64 step
# (docs/real_faces_experiments.md); on a CUDA GPU the wrapper changes nothing (float32).
input_size = (96, 96)
optim_wrapper = dict(type='headpose.CPUBFloat16OptimWrapper')
augment = [
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion', prob=0.5),
    dict(type='RandomGrayscale', prob=0.15),
    dict(type='GaussianBlur', prob=0.4, sigma_range=(0.1, 1.5)),
    dict(type='GaussianNoise', prob=0.3, std_range=(2, 8)),
    dict(type='JPEGCompression', prob=0.4, quality_range=(30, 90)),
    dict(type='PackHeadPoseInputs'),
]
synth_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropHead', input_size=input_size, padding=1.5, scale_range=(0.9, 1.1),
         shift=0.05),
] + augment
# The AFLW crops are cut as the test crops are: their side is about 1.02 times the
# AFLW2000 protocol's crop (the 68-landmark box x 1.5) and their centres agree within
# 0.01 of it, measured through FaceMesh's landmarks (median extent: 0.727 of an AFLW crop,
# 1.066 of the 68-landmark box of the near-frontal development faces): whole crop, padding 1.
# One real crop in seven is also turned in the image plane by up to 90 degrees (its label
# turned with it, exactly; a crop that knows only its yaw then knows nothing, as turning
# mixes the angles): real faces lying on their side.
aflw_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropHead', input_size=input_size, padding=1.0, scale_range=(0.9, 1.1),
         shift=0.05),
    dict(type='RandomAffine', max_rotate_degree=90, max_translate_ratio=0,
         scaling_ratio_range=(1, 1), min_bbox_size=0, min_area_ratio=0, prob=0.15),
] + augment
aflw = dict(
    type='AFLWCropsDataset', data_root='data/aflw_crops',
    exclude_lists=['data/aflw2000_names.txt'], exclude_dirs=['data/aflw2000_dev'],
    teacher_file='work_dirs/labels/aflw_crops_facemesh.json', teacher_min_score=0.4,
    teacher_max_yaw=60, teacher_yaw_below=45, pairing='across', pipeline=aflw_pipeline)

# The renders of the real-face config, fewer of them (9,000 of 2,250 people, not 20,000
# of 5,000): the training keeps within an hour on a 2-core CPU.
synth = dict(
    type='SynthHeadsDataset', num_samples=9000, num_identities=2250, seed=0, img_size=128,
    cache=True, render_cfg={{_base_.render_cfg}}, pose_sampling='mixed',
    pipeline=synth_pipeline, yaw_range={{_base_.poses.yaw_range}},
    pitch_range={{_base_.poses.pitch_range}}, roll_range={{_base_.poses.roll_range}},
    pitch_std={{_base_.poses.pitch_std}}, roll_std={{_base_.poses.roll_std}})
# Renders at steep pitch and roll, drawn uniformly (pitch within 80 degrees, roll within
# 90): the other renders keep roll within 45 and the real crops rarely go further, and a
# face lying on its side was read as a profile.
synth_steep = dict(synth, num_samples=1500, num_identities=375, seed=1,
                   pitch_range=(-80, 80), roll_range=(-90, 90), pitch_std=None, roll_std=None)
train_dataloader = dict(dataset=dict(
    _delete_=True, type='ConcatDataset', ignore_keys=['dataset_name', 'num_identities'],
    datasets=[dict(type='PairDataset', dataset=synth),
              dict(type='PairDataset', dataset=synth_steep),
              dict(type='PairDataset', dataset=aflw)]))
val_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImage'), dict(type='CropHead', input_size=input_size, padding=1.5),
    dict(type='PackHeadPoseInputs')]))
test_dataloader = dict(dataset=dict(data_root='data/aflw2000_dev', pipeline=[
    dict(type='LoadImage'), dict(type='CropHead', input_size=input_size, padding=1.25),
    dict(type='PackHeadPoseInputs')]))

max_epochs = 7
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
                        by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
