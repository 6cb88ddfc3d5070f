# RankPose Table 3 row "arccos, MSE", tested on BIWI (FSA-Net BIWI_noTrack.npz); the model
# is trained with r50_arccos-mse_300wlp.py. The one change from r50_arccos_300wlp-biwi.py:
# the loss: MSE alone (pairs are still drawn, only the loss differs).
_base_ = ['./r50_arccos_300wlp-biwi.py']

model = dict(
    head=dict(
        loss=dict(type='MSELoss', loss_weight=1.0),
        loss_rank=None))
