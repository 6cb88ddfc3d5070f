"""The runner of headpose's tools: strict weights-only loading and atomic checkpoint saves."""

import os
import os.path as osp
from typing import Any, Optional

from mmengine.dist import broadcast_object_list
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from headpose.registry import RUNNERS
from headpose.utils.checkpoint_io import load_checkpoint_weights, load_state_strictly


@RUNNERS.register_module()
class HeadPoseRunner(Runner):
    """mmengine's ``Runner`` with headpose's one way of reading and writing checkpoints.

    ``configs/_base_/default_runtime.py`` selects it (``runner_type``), so
    ``tools/train.py`` and ``tools/test.py`` use it:

    - ``load_from``, ``--resume`` and ``tools/test.py CONFIG CKPT`` read the checkpoint
      with :func:`~headpose.utils.checkpoint_io.load_checkpoint_weights` and load it
      strictly: a checkpoint of another model (e.g. a Multitask-Net checkpoint for a
      RankPose config) raises :class:`~headpose.utils.checkpoint_io.CheckpointMismatchError`,
      as :func:`~headpose.apis.init_model` does, instead of mmengine's warning about
      missing keys followed by the metrics of a randomly initialised model.
    - Checkpoints are written atomically (:class:`~headpose.engine.checkpoint.
      AtomicLocalBackend`): a save killed halfway or stopped by a full disk never leaves
      a truncated ``epoch_N.pth``, and the error names the file and the free space.
    """

    def setup_env(self, env_cfg: dict) -> None:
        """mmengine's ``setup_env``, and a log folder of this run's own.

        mmengine names the log folder ``WORK_DIR/YYYYmmdd_HHMMSS``: two runs started in
        one second in one work dir (two ``tools/test.py``, which take no work dir lock)
        shared it, wrote one interleaved text log and one JSON of metrics holding only the
        last run's. Here rank 0 creates the folder exclusively, adding ``_2``, ``_3``, ...
        to the timestamp when it is taken, and tells the other ranks the name.
        """
        super().setup_env(env_cfg)
        name = None
        if self.rank == 0:
            stamp = self._timestamp
            for k in range(1, 10000):
                name = stamp if k == 1 else f'{stamp}_{k}'
                try:
                    os.mkdir(osp.join(self._work_dir, name))
                    break
                except FileExistsError:
                    continue
        if self.world_size > 1:
            box = [name]
            broadcast_object_list(box)
            name = box[0]
        self._timestamp = name

    def load_checkpoint(self, filename: str, map_location: Any = 'cpu',
                        strict: bool = True, revise_keys: Optional[list] = None) -> dict:
        """Reads ``filename`` weights-only and loads its weights strictly.

        Args:
            filename: the checkpoint file.
            map_location: as ``torch.load``'s.
            strict: ignored: loading is always strict (kept for mmengine's signature).
            revise_keys: ignored; a DDP wrapper's ``module.`` prefix is removed.

        Returns:
            The checkpoint dict (after the hooks' ``after_load_checkpoint``).

        Raises:
            CheckpointMismatchError: the checkpoint does not fit the model.
        """
        checkpoint = load_checkpoint_weights(filename, map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        load_state_strictly(model, checkpoint, filename)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def save_checkpoint(self, out_dir: str, filename: str, file_client_args=None,
                        save_optimizer: bool = True, save_param_scheduler: bool = True,
                        meta: Optional[dict] = None, by_epoch: bool = True,
                        backend_args: Optional[dict] = None) -> None:
        """mmengine's ``save_checkpoint``, written atomically to a local folder unless
        another file backend is asked for."""
        if backend_args is None and file_client_args is None:
            backend_args = dict(backend='headpose_atomic')
        super().save_checkpoint(out_dir, filename, file_client_args=file_client_args,
                                save_optimizer=save_optimizer,
                                save_param_scheduler=save_param_scheduler, meta=meta,
                                by_epoch=by_epoch, backend_args=backend_args)
