# RankPose Table 3 row "cosine, MSE + ranking", trained on 300W-LP, tested on AFLW2000
# (|angle| <= 99). The one change from r50_arccos_300wlp.py: the output transform.
_base_ = ['./r50_arccos_300wlp.py']

model = dict(
    head=dict(
        output_transform='cosine'))  # eq. 2: 90 * W^T F with unit-norm W and F
