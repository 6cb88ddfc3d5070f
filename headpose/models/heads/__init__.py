"""Heads: each owns its loss and its decoding."""

from .rankpose_head import RankPoseHead

__all__ = ['RankPoseHead']
