# THE primitive RankPose config (Dai et al., BMVC 2020; Table 3, last row): ResNet50
# pre-trained on ImageNet (torchvision's weights, docs/train_test.md), global average
# pooling, the arccos output transform, loss = beta * MSE +
# (1 - beta) * pairwise ranking with beta = 0.5; trained on 300W-LP, tested on AFLW2000
# (|angle| <= 99: 1,969 images). The paper's recipe: Adam, lr 1e-3, cosine decay over
# 80 epochs, batch 128 images (64 pairs of one person), random crop / scale, Gaussian
# noise, Gaussian blur, 224x224 input. The model, the data and the schedule are those of
# the _base_ files, spelled out there once; every other config of this folder inherits
# this one and changes one thing (see README.md).
_base_ = [
    '../_base_/models/rankpose_r50.py',
    '../_base_/datasets/w300lp_aflw2000.py',
    '../_base_/schedules/adam_cosine_80e.py',
    '../_base_/default_runtime.py',
]

# 64 pairs a step: the paper's batch of 128 images. The dataloader's batch_size counts
# pairs, so the base for --auto-scale-lr is 64 (per process x processes).
train_dataloader = dict(batch_size=64)
auto_scale_lr = dict(enable=False, base_batch_size=64)
randomness = dict(seed=0)
