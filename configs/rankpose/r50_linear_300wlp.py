# RankPose Table 3 row "no transform, MSE + ranking", trained on 300W-LP, tested on AFLW2000
# (|angle| <= 99). The one change from r50_arccos_300wlp.py: the output transform.
_base_ = ['./r50_arccos_300wlp.py']

model = dict(
    head=dict(
        output_transform='linear'))  # eq. 1: a plain linear layer W^T F + b
