# Multitask-Net v2 (vector) trained on 300W-LP and tested on all of BIWI, through the
# COCO-style JSONs of the converters (one head per image; narrow yaw range):
#   python tools/dataset_converters/w300lp_to_coco.py data/300W_LP \
#       --out data/300W_LP/annotations/coco_headpose.json
#   python tools/dataset_converters/biwi_to_coco.py data/BIWI/hpdb \
#       --out data/BIWI/hpdb/annotations/coco_headpose_all.json
_base_ = ['./d53_v2-vector_cmu-panoptic.py']

# Narrow-range data: the model reports yaw in [-90, 90] (the data sets see from their
# labels that they are narrow-range).
model = dict(head=dict(pose_head=dict(codec=dict(full_range=False))))
train_dataloader = dict(
    dataset=dict(data_root='data/300W_LP/', ann_file='annotations/coco_headpose.json',
                 data_prefix=dict(img='')))
val_dataloader = dict(
    dataset=dict(data_root='data/BIWI/hpdb/', ann_file='annotations/coco_headpose_all.json',
                 data_prefix=dict(img='')))
test_dataloader = val_dataloader
