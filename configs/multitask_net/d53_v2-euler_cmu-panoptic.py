# Multitask-Net v2 with an Euler-angle pose: the aggregation pose branch regresses
# (yaw, pitch, roll) (full-range branch, outputs in units of 90 degrees) with an MSE loss.
_base_ = ['./d53_v2-vector_cmu-panoptic.py']

model = dict(pose_head=dict(representation='euler', loss=dict(type='MSELoss', loss_weight=1.0),
                            loss_orth=None))
