"""headpose: a registry-driven toolbox for estimating the 3D orientation of human heads."""

from .version import __version__

__all__ = ['__version__']
