# RankPose Table 3 row "no transform, MSE + ranking", tested on BIWI (FSA-Net
# BIWI_noTrack.npz); the model is trained with r50_linear_300wlp.py. The one change from
# r50_arccos_300wlp-biwi.py: the output transform.
_base_ = ['./r50_arccos_300wlp-biwi.py']

model = dict(
    head=dict(
        output_transform='linear'))  # eq. 1: a plain linear layer W^T F + b
