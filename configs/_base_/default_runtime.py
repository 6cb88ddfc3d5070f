default_scope = 'headpose'
# HeadPoseRunner loads checkpoints strictly and weights-only (load_from, --resume,
# tools/test.py) and writes them atomically (headpose/engine/runner.py).
runner_type = 'headpose.HeadPoseRunner'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='HeadPoseVisualizationHook', draw=False))

# SafeCheckpointHook keeps checkpoints loadable with torch.load(weights_only=True) so that
# --resume works with torch >= 2.6; RNGStateHook makes --resume continue exactly;
# BadImageReportHook counts the unreadable training images replaced by other samples.
custom_hooks = [
    dict(type='SafeCheckpointHook'),
    dict(type='RNGStateHook'),
    dict(type='BadImageReportHook'),
]

# malloc_cfg: glibc keeps freed memory for the next step instead of page-faulting every
# step's activations in again (headpose/utils/malloc.py; r50 training steps 20% faster on
# a CPU, docs/benchmarks.md). None leaves malloc as it is.
env_cfg = dict(
    cudnn_benchmark=False,
    malloc_cfg=dict(mmap_threshold=32 * 1024**2, trim_threshold=1024**3, mmap_max=0),
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # dataloader workers share tensors by file name, not by descriptor: no round trip
    # per tensor (Multitask-Net on SynthHeads scenes: 6% faster steps; docs/benchmarks.md)
    sharing_strategy='file_system',
    dist_cfg=dict(backend='nccl'))

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='HeadPoseVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
