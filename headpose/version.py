"""The version of the headpose package."""

__version__ = '0.1.0'
