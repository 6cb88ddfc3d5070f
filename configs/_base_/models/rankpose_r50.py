# RankPose (Dai et al., BMVC 2020): ResNet50, global average pooling, a bounded
# output layer (arccos here), trained with beta * MSE + (1 - beta) * ranking, beta = 0.5.
# The backbone starts from torchvision's ImageNet weights (the paper's "ResNet50 pre-trained
# on ImageNet"), read from $TORCH_HOME/hub/checkpoints/resnet50-0676ba61.pth: see
# docs/train_test.md#pretrained-weights (--cfg-options model.backbone.init_cfg=None: scratch).
model = dict(
    type='TopDownPoseEstimator',
    data_preprocessor=dict(
        type='HeadPoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=50, out_indices=(3, ),
                  init_cfg=dict(type='Pretrained',
                                checkpoint='https://download.pytorch.org/models/'
                                'resnet50-0676ba61.pth')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='RankPoseHead',
        in_channels=2048,
        output_transform='arccos',
        codec=dict(type='EulerCodec', full_range=False),
        loss=dict(type='MSELoss', loss_weight=0.5),
        loss_rank=dict(type='PairwiseRankingLoss', loss_weight=0.5)))
