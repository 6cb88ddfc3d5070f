# Multitask-Net v1: Euler angles (as d53_v2-euler_cmu-panoptic.py), and the pose branch
# without the aggregation module's concatenation of the box branch's features (our
# reading of v1 -> v2; see README.md).
_base_ = ['./d53_v2-vector_cmu-panoptic.py']

model = dict(head=dict(pose_head=dict(
    codec=dict(_delete_=True, type='EulerCodec', full_range=True, angle_unit=90.0),
    loss=dict(type='SquaredErrorLoss', loss_weight=1.0),
    loss_orth=None,
    aggregate=False)))
