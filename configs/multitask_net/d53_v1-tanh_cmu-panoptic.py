# Multitask-Net v1 with tanh-normalised box outputs: centre offsets tanh(t) * stride from
# the cell centre, sizes anchor * exp(tanh(t) * log 4) (YOLOBBoxCoder with tanh=True).
_base_ = ['./d53_v1_cmu-panoptic.py']

model = dict(head=dict(bbox_head=dict(tanh_box=True,
                                      bbox_coder=dict(type='YOLOBBoxCoder', wh_range=4.0))))
