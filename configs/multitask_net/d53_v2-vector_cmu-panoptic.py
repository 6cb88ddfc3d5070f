# Multitask-Net v2, vector pose (Nguyen Viet et al., 2021) on CMU Panoptic: the primitive
# config of this folder, spelling out model and data; the other configs inherit it.
# Darknet-53 -> YOLOv3 neck (strides 32/16/8) -> YOLO box branch + aggregation pose branch
# (the 3 column vectors of R, vector MSE + orthogonality loss, SVD projection at test time).
# Loss = alpha * L_box + (1 - alpha) * L_pose. Three phases (TrainingPhaseHook): box branch,
# + backbone, everything. Data: DirectMHP's COCO-style CMU Panoptic JSON, full-range yaw,
# written by tools/dataset_converters/cmu_panoptic_to_coco.py (see README.md).
_base_ = ['../_base_/default_runtime.py']

widen = 1.0
input_size = (416, 416)  # (w, h), letterboxed: the paper's grids 13, 26, 52
# YOLOv3's anchors (w, h), made for 416 x 416 inputs, per level of stride 32, 16, 8.
anchors = [[(116, 90), (156, 198), (373, 326)],
           [(30, 61), (62, 45), (59, 119)],
           [(10, 13), (16, 30), (33, 23)]]
neck_in = [int(c * widen) for c in (1024, 512, 256)]
neck_out = [int(c * widen) for c in (512, 256, 128)]
bridge = [int(c * widen) for c in (1024, 512, 256)]

model = dict(
    type='MultiTaskNet',
    data_preprocessor=dict(type='HeadPoseDataPreprocessor', mean=[0, 0, 0],
                           std=[255, 255, 255], bgr_to_rgb=True),
    # ImageNet weights of MMDetection's YOLOv3 (open-mmlab://darknet53), from the hub cache
    backbone=dict(type='Darknet', depth=53, widen_factor=widen, out_indices=(3, 4, 5),
                  init_cfg=dict(type='Pretrained', checkpoint='https://download.openmmlab.com/'
                                'pretrain/third_party/darknet53-a628ea1b.pth')),
    neck=dict(type='YOLOV3Neck', in_channels=neck_in, out_channels=neck_out),
    # The two branches and their coupling (the box branch's anchor assignment and
    # detections handed to the pose branch) live in one head.
    head=dict(
        type='MultiTaskHead',
        alpha=0.5,  # eq. 5's alpha: the paper gives no value; 0.5 is ours
        bbox_head=dict(
            type='YOLOV3Head',
            in_channels=neck_out,
            out_channels=bridge,
            num_classes=1,
            tanh_box=False,
            anchor_generator=dict(type='YOLOAnchorGenerator', strides=(32, 16, 8),
                                  base_sizes=anchors),
            bbox_coder=dict(type='YOLOBBoxCoder'),
            assigner=dict(type='GridAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                          min_pos_iou=0.0),
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
            # The pose representation, and the one place of the model's Euler range
            # (yaw in (-180, 180]); data sets state the range of their labels themselves.
            codec=dict(type='RotationVectorCodec', full_range=True),
            aggregate=True,
            loss=dict(type='VectorMSELoss', loss_weight=1.0),
            loss_orth=dict(type='OrthogonalityLoss', loss_weight=1.0))))

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
    batch_size=64,  # phase 1's; TrainingPhaseHook sets each phase's
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/coco_style_train.json',
                 data_prefix=dict(img='images/train/'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/coco_style_val.json',
                 data_prefix=dict(img='images/val/'), test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoHeadPoseMetric', score_thr=0.3, iou_thr=0.5)
test_evaluator = val_evaluator

# Schedule: the paper's three phases of 50 epochs (Sec. 4.1). Its "backbone" is Darknet-53
# with the FPN (here backbone + neck); its "face detection last layers" are the box
# branch (head.bbox_head).
#   1. epochs 0-49, batch 64, lr 1e-3: only the box branch trains;
#   2. epochs 50-99, batch 16, lr 1e-4: the box branch and the backbone (+ FPN);
#   3. epochs 100-149, batch 16, lr 1e-4: everything.
# Batches are images per step over all processes (TrainingPhaseHook divides them by the
# number of processes). Adam and the 500-iteration warm-up are our choices: the paper
# names neither optimizer nor warm-up.
max_epochs = 150
phases = [dict(begin=0, trainable=['head.bbox_head'], batch_size=64),
          dict(begin=50, trainable=['backbone', 'neck', 'head.bbox_head'], batch_size=16),
          dict(begin=100, trainable='all', batch_size=16)]
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3),
                     clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', milestones=[50], gamma=0.1, by_epoch=True, begin=0,
         end=max_epochs),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=64)
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
