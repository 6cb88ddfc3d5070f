# RankPose Table 3 row "no transform, MSE", trained on 300W-LP, tested on AFLW2000 (|angle|
# <= 99). The one change from r50_arccos_300wlp.py: the output transform and the loss: MSE
# alone (pairs are still drawn, only the loss differs).
_base_ = ['./r50_arccos_300wlp.py']

model = dict(
    head=dict(
        output_transform='linear',  # eq. 1: a plain linear layer W^T F + b
        loss=dict(type='MSELoss', loss_weight=1.0),
        loss_rank=None))
