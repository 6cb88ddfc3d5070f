# RankPose Table 3 row "cosine, MSE + ranking", tested on BIWI (FSA-Net BIWI_noTrack.npz);
# the model is trained with r50_cosine_300wlp.py. The one change from r50_arccos_300wlp-
# biwi.py: the output transform.
_base_ = ['./r50_arccos_300wlp-biwi.py']

model = dict(
    head=dict(
        output_transform='cosine'))  # eq. 2: 90 * W^T F with unit-norm W and F
