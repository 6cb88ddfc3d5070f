"""Model wrappers."""

from .cpu_ddp import HeadPoseDistributedDataParallel

__all__ = ['HeadPoseDistributedDataParallel']
