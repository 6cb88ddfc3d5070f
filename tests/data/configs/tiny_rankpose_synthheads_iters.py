# The tiny RankPose run, iteration-based: 6 iterations of 8 pairs (an epoch is 4), a
# checkpoint every 3 iterations; for testing an iteration-based --resume.
_base_ = ['./tiny_rankpose_synthheads.py']

train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=6, val_interval=100)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=6, by_epoch=False, begin=0, end=6)]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=3))
log_processor = dict(by_epoch=False)
val_cfg = None
val_dataloader = None
val_evaluator = None
