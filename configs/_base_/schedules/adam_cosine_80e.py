# RankPose's schedule: Adam, lr 1e-3, cosine decay over 80 epochs, batch 128.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=80, eta_min=0, by_epoch=True,
                        begin=0, end=80, convert_to_iter_based=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=80, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# --auto-scale-lr scales lr by (total batch size / base_batch_size).
auto_scale_lr = dict(enable=False, base_batch_size=128)
