"""Data preprocessors."""

from .data_preprocessor import HeadPoseDataPreprocessor

__all__ = ['HeadPoseDataPreprocessor']
