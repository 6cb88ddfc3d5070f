# Uses a loss registered by a module outside the package, through custom_imports.
_base_ = ['./tiny_rankpose_synthheads.py']
custom_imports = dict(imports=['my_plugin'], allow_failed_imports=False)
model = dict(head=dict(loss=dict(_delete_=True, type='PluginL1Loss', loss_weight=0.5)))
