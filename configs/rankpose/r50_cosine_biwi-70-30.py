# RankPose Table 3 row "cosine, MSE + ranking", BIWI 70/30 (biwi_split.py). The one change
# from r50_arccos_biwi-70-30.py: the output transform.
_base_ = ['./r50_arccos_biwi-70-30.py']

model = dict(
    head=dict(
        output_transform='cosine'))  # eq. 2: 90 * W^T F with unit-norm W and F
