# Multitask-Net v2 with an Euler-angle pose: the aggregation pose branch regresses
# (yaw, pitch, roll) (full-range branch, outputs in units of 90 degrees) with a squared
# error summed over the angles and the heads, per image.
_base_ = ['./d53_v2-vector_cmu-panoptic.py']

model = dict(head=dict(pose_head=dict(
    codec=dict(_delete_=True, type='EulerCodec', full_range=True, angle_unit=90.0),
    loss=dict(type='SquaredErrorLoss', loss_weight=1.0),
    loss_orth=None)))
