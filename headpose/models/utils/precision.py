"""Running numerically delicate operations in float32 under mixed precision (autocast)."""

import functools
from typing import Any, Callable

import torch

_HALF = (torch.float16, torch.bfloat16)


def to_float32(value: Any) -> Any:
    """A float16/bfloat16 tensor as float32; anything else (float64 too) unchanged."""
    if isinstance(value, torch.Tensor) and value.dtype in _HALF:
        return value.float()
    return value


def float32_op(fn: Callable) -> Callable:
    """Runs ``fn`` with autocast off and its half-precision tensor arguments in float32.

    For the operations that break in float16/bfloat16: the losses (a squared error of
    8-bit-mantissa values is rounded to 3 significant digits), L2 normalisations,
    ``arccos`` of a rounded product that ends up beyond 1 (NaN), SVD (no half-precision
    kernel on CUDA). Outside autocast and with float32 inputs it changes nothing.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)]
        device = tensors[0].device.type if tensors else 'cpu'
        with torch.autocast(device_type=device, enabled=False):
            return fn(*(to_float32(a) for a in args),
                      **{k: to_float32(v) for k, v in kwargs.items()})

    return wrapper
