# The example plugin on the quick start: RankPose-r18's backbone, neck, data and schedule,
# with the head replaced by the plugin's 6D-rotation MLP head trained with the geodesic
# loss. `custom_imports` imports the plugin package, which registers the new types; it
# must be importable (PYTHONPATH=projects/example_custom_head, see ../README.md).
_base_ = ['../../../configs/rankpose/r18_arccos_synthheads.py']

custom_imports = dict(imports=['example_custom_head'], allow_failed_imports=False)

model = dict(
    head=dict(
        _delete_=True,
        type='Rot6DHead',
        in_channels=512,
        hidden_channels=256,
        codec=dict(type='Rot6DCodec', full_range=False),
        loss=dict(type='GeodesicLoss', loss_weight=1.0)))
# test_cfg=dict(flip_test=True) is inherited; Rot6DHead and Rot6DCodec support it.
