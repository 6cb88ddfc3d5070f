"""Safe checkpoint loading with torch >= 2.6 (``weights_only=True``).

mmengine's checkpoints carry its ``HistoryBuffer`` and numpy arrays in their
``message_hub`` state, which ``torch.load(weights_only=True)`` rejects, so
``--resume`` fails. Rather than unpickling arbitrary objects, the few classes those
checkpoints need are added to torch's list of safe globals.
"""

import numpy as np
import torch


def register_safe_globals() -> None:
    """Allows mmengine's and numpy's checkpoint objects in ``torch.load(weights_only=True)``."""
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return
    from mmengine.logging.history_buffer import HistoryBuffer
    allowed = [HistoryBuffer, np.ndarray, np.dtype]
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    allowed += [_reconstruct, scalar]
    allowed += [type(np.dtype(t)) for t in ('float64', 'float32', 'int64', 'int32', 'uint32',
                                            'uint8', 'bool')]
    torch.serialization.add_safe_globals(allowed)
