# Multitask-Net v2 (vector) on the BIWI 70/30 protocol (FSA-Net's Protocol 2, the paper's
# Table 2): train on 16 sequences and test on the other 8 (the split of
# headpose/datasets/biwi_split.py; FSA-Net's own 16 are unknown, see its docstring),
# through the COCO-style JSONs of the converter (one head per frame):
#   python tools/dataset_converters/biwi_to_coco.py data/BIWI/hpdb --split train \
#       --out data/BIWI/hpdb/annotations/coco_headpose_train.json
#   python tools/dataset_converters/biwi_to_coco.py data/BIWI/hpdb --split test \
#       --out data/BIWI/hpdb/annotations/coco_headpose_test.json
_base_ = ['./d53_v2-vector_cmu-panoptic.py']

# Narrow-range data: the model reports yaw in [-90, 90] (the data sets see from their
# labels that they are narrow-range).
model = dict(head=dict(pose_head=dict(codec=dict(full_range=False))))
train_dataloader = dict(
    dataset=dict(data_root='data/BIWI/hpdb/', ann_file='annotations/coco_headpose_train.json',
                 data_prefix=dict(img='')))
val_dataloader = dict(
    dataset=dict(data_root='data/BIWI/hpdb/', ann_file='annotations/coco_headpose_test.json',
                 data_prefix=dict(img='')))
test_dataloader = val_dataloader
