# RankPose Table 3 row "no transform, MSE + ranking", BIWI 70/30 (biwi_split.py). The one
# change from r50_arccos_biwi-70-30.py: the output transform.
_base_ = ['./r50_arccos_biwi-70-30.py']

model = dict(
    head=dict(
        output_transform='linear'))  # eq. 1: a plain linear layer W^T F + b
