# Multitask-Net v2, vector pose (Nguyen Viet et al., 2021) on CMU Panoptic: the primitive
# config of this folder, spelling out model and data; the other configs inherit it.
# Darknet-53 -> YOLOv3 neck (strides 32/16/8) -> YOLO box branch + aggregation pose branch
# (the 3 column vectors of R, vector MSE + orthogonality loss, SVD projection at test time).
# Loss = alpha * L_box + (1 - alpha) * L_pose. Three phases (TrainingPhaseHook): box branch,
# + backbone, everything. Data: DirectMHP's COCO-style CMU Panoptic JSON, full-range yaw,
# written by tools/dataset_converters/cmu_panoptic_to_coco.py (see README.md).
_base_ = ['../_base_/default_runtime.py']

widen = 1.0
input_size = (608, 608)  # (w, h), letterboxed
# YOLOv3's anchors (w, h) for this input size, per level of stride 32, 16, 8.
anchors = [[(116, 90), (156, 198), (373, 326)],
           [(30, 61), (62, 45), (59, 119)],
           [(10, 13), (16, 30), (33, 23)]]
neck_in = [int(c * widen) for c in (1024, 512, 256)]
neck_out = [int(c * widen) for c in (512, 256, 128)]
bridge = [int(c * widen) for c in (1024, 512, 256)]

model = dict(
    type='MultiTaskNet',
    alpha=0.5,  # eq. 5's alpha: the paper gives no value; 0.5 is ours
    data_preprocessor=dict(type='HeadPoseDataPreprocessor', mean=[0, 0, 0],
                           std=[255, 255, 255], bgr_to_rgb=True),
    # ImageNet weights of MMDetection's YOLOv3 (open-mmlab://darknet53), from the hub cache
    backbone=dict(type='Darknet', depth=53, widen_factor=widen, out_indices=(3, 4, 5),
                  init_cfg=dict(type='Pretrained', checkpoint='https://download.openmmlab.com/'
                                'pretrain/third_party/darknet53-a628ea1b.pth')),
    neck=dict(type='YOLOV3Neck', in_channels=neck_in, out_channels=neck_out),
    bbox_head=dict(
        type='YOLOV3Head',
        in_channels=neck_out,
        out_channels=bridge,
        num_classes=1,
        tanh_box=False,
        anchor_generator=dict(type='YOLOAnchorGenerator', strides=(32, 16, 8),
                              base_sizes=anchors),
        bbox_coder=dict(type='YOLOBBoxCoder'),
        assigner=dict(type='GridAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.0),
        loss_cls=dict(type='SigmoidBCELoss', loss_weight=1.0),
        loss_conf=dict(type='SigmoidBCELoss', loss_weight=1.0),
        loss_xy=dict(type='SigmoidBCELoss', loss_weight=2.0),
        loss_wh=dict(type='SquaredErrorLoss', loss_weight=2.0),
        test_cfg=dict(conf_thr=0.005, score_thr=0.05, nms_iou=0.45, nms_pre=1000,
                      max_per_img=100)),
    pose_head=dict(
        type='AggregationPoseHead',
        in_channels=neck_out,
        box_channels=bridge,
        num_anchors=3,
        representation='vector',
        full_range=True,
        aggregate=True,
        loss=dict(type='VectorMSELoss', loss_weight=1.0),
        loss_orth=dict(type='OrthogonalityLoss', loss_weight=1.0)))

# Data: COCO-style head-pose JSON with every head's box and full-range Euler angles.
dataset_type = 'CocoHeadPoseDataset'
data_root = 'data/cmu_panoptic/'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LetterBox', scale=input_size, pad_val=114),
    dict(type='RandomAffine', max_rotate_degree=10, max_translate_ratio=0.1,
         scaling_ratio_range=(0.7, 1.3), border_val=114),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='FilterHeads', min_size=2),
    dict(type='PackHeadPoseInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='LetterBox', scale=input_size, pad_val=114),
    dict(type='PackHeadPoseInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/coco_style_train.json',
                 data_prefix=dict(img='images/train/'), full_range=True,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/coco_style_val.json',
                 data_prefix=dict(img='images/val/'), full_range=True, test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoHeadPoseMetric', score_thr=0.3, iou_thr=0.5, full_range=True)
test_evaluator = val_evaluator

# Schedule (our choice; the paper gives none we could check): Adam 1e-3 with a cosine
# decay over 100 epochs, in three phases of 10 / 20 / 70 epochs.
max_epochs = 100
phases = [dict(begin=0, trainable=['neck', 'bbox_head']),
          dict(begin=10, trainable=['backbone', 'neck', 'bbox_head']),
          dict(begin=30, trainable='all')]
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3),
                     clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=500),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=8)
custom_hooks = [
    dict(type='SafeCheckpointHook'),
    dict(type='RNGStateHook'),
    dict(type='BadImageReportHook'),
    dict(type='TrainingPhaseHook', phases=phases, by_epoch=True),
]
# Frozen parameters get no gradient: distributed training must allow unused parameters.
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
# No checkpoint is chosen by its score: the validation JSON is also the test set.
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
