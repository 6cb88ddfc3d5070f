# Multitask-Net v1: Euler angles, and the pose branch without the aggregation module's
# concatenation of the box branch's features (our reading of v1 -> v2; see README.md).
_base_ = ['./d53_v2-euler_cmu-panoptic.py']

model = dict(pose_head=dict(aggregate=False))
