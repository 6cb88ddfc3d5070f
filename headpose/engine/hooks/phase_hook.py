"""Training in phases: freezing and unfreezing groups of parameters at phase boundaries."""

from typing import List, Optional, Sequence

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch.utils.data import DataLoader

from headpose.registry import HOOKS

#: Multitask-Net's three phases, by module path: (1) the box branch, (2) the box branch
#: and the backbone, (3) everything.
MULTITASK_NET_PHASES = (
    dict(begin=0, trainable=['neck', 'head.bbox_head']),
    dict(begin=10, trainable=['backbone', 'neck', 'head.bbox_head']),
    dict(begin=20, trainable='all'),
)


@HOOKS.register_module()
class TrainingPhaseHook(Hook):
    """Runs one schedule as consecutive phases, each training only some parameter groups.

    A phase starts at epoch (or iteration) ``begin`` and lists the modules of the model
    whose parameters are trained, by path (``'backbone'``, ``'head.bbox_head'``,
    ``'head.bbox_head.preds'``; ``'all'``: every module); every other parameter is frozen
    (``requires_grad=False``) and, with ``freeze_norm``, the batch norms that hold only
    frozen parameters are kept in eval mode so their statistics do not move. The phase
    is applied before each epoch (or iteration), so a resumed run continues in the right
    phase (``requires_grad`` is set once per phase; the norms of frozen modules are put
    back in eval mode every time); each change is logged with the trainable and frozen
    modules and their parameter counts. The optimizer holds every parameter from the
    start; frozen ones get no gradient and are not updated.

    A phase may also set the **batch size** (``batch_size``: images per step over all
    processes, as papers count it; by epoch only): before its first epoch the training
    dataloader is rebuilt with ``batch_size / world_size`` per process (an error if
    that does not divide), the same data set, sampler and workers. A resumed run gets
    its phase's batch size the same way. The learning rate of a phase is the param
    scheduler's business (e.g. ``MultiStepLR`` with a milestone at the phase's start),
    so that ``--resume`` restores it with the scheduler's state; ``--auto-scale-lr``
    scales it once, by the config's ``train_dataloader`` batch, not per phase.

    Args:
        phases: dicts with ``begin`` (increasing, the first 0), ``trainable`` (a list of
            module paths, or ``'all'``) and optionally ``batch_size``.
        by_epoch: ``begin`` counts epochs (True) or iterations (False).
        freeze_norm: keep the batch norms of frozen modules in eval mode.
    """

    priority = 'HIGH'

    def __init__(self, phases: Sequence[dict] = MULTITASK_NET_PHASES, by_epoch: bool = True,
                 freeze_norm: bool = True):
        if not phases:
            raise ValueError('TrainingPhaseHook: phases must not be empty')
        begins = [int(p['begin']) for p in phases]
        if begins[0] != 0 or any(b <= a for a, b in zip(begins, begins[1:])):
            raise ValueError(f'TrainingPhaseHook: phase begins must start at 0 and increase, '
                             f'got {begins}')
        self.phases = [dict(begin=int(p['begin']), trainable=p['trainable'],
                            batch_size=p.get('batch_size')) for p in phases]
        if not by_epoch and any(p['batch_size'] for p in self.phases):
            raise ValueError('TrainingPhaseHook: a phase batch_size needs by_epoch=True (the '
                             'dataloader is rebuilt between epochs)')
        self.by_epoch = by_epoch
        self.freeze_norm = freeze_norm
        self.current = None
        self._frozen: List[str] = []

    def phase_at(self, step: int) -> int:
        """The index of the phase that holds epoch (or iteration) ``step``."""
        return max(i for i, p in enumerate(self.phases) if p['begin'] <= step)

    @staticmethod
    def _model(runner) -> nn.Module:
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _trainable(self, model: nn.Module, phase: dict) -> List[str]:
        """The phase's module paths, checked against the model."""
        tops = [n for n, _ in model.named_children() if n != 'data_preprocessor']
        if phase['trainable'] == 'all':
            return tops
        wanted = [phase['trainable']] if isinstance(phase['trainable'], str) else \
            list(phase['trainable'])
        paths = {n for n, _ in model.named_modules() if n}
        unknown = sorted(w for w in wanted if w not in paths)
        if unknown:
            raise KeyError(f'TrainingPhaseHook: the model has no module(s) {unknown}; its '
                           f'top-level modules are {tops} (name deeper ones by path, e.g. '
                           "'head.bbox_head')")
        return wanted

    def apply(self, runner, step: int) -> None:
        """Sets ``requires_grad`` (and norm modes) for the phase of ``step``."""
        index = self.phase_at(step)
        if index == self.current and not (self.freeze_norm and self._frozen):
            return  # nothing to redo: requires_grad only changes with the phase
        model = self._model(runner)
        trainable = self._trainable(model, self.phases[index])

        def trained(name: str) -> bool:
            return any(name == t or name.startswith(t + '.') for t in trainable)

        for name, p in model.named_parameters():
            if not name.startswith('data_preprocessor.'):
                p.requires_grad = trained(name)
        def holds_trained(name: str) -> bool:
            return any(t.startswith(name + '.') for t in trainable)

        # The largest frozen parts, for the log: frozen modules (with parameters) whose
        # parent is the model or holds a trained part.
        frozen = [n for n, m in model.named_modules()
                  if n and n.split('.')[0] != 'data_preprocessor' and not trained(n)
                  and not holds_trained(n) and any(True for _ in m.parameters())
                  and ('.' not in n or holds_trained(n.rsplit('.', 1)[0]))]
        if self.freeze_norm:
            for n, m in model.named_modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm) and n and not trained(n):
                    m.eval()
        self._frozen = frozen
        if index != self.current:
            self.current = index
            unit = 'epoch' if self.by_epoch else 'iteration'

            def count(names: List[str]) -> str:
                return ', '.join(
                    f'{n} ({sum(p.numel() for p in model.get_submodule(n).parameters())})'
                    for n in names) or 'none'

            runner.logger.info(
                f'training phase {index + 1}/{len(self.phases)} from {unit} {step}: '
                f'trainable: {count(trainable)}; frozen: {count(frozen)}')

    def before_train_epoch(self, runner) -> None:
        if self.by_epoch:
            self.apply(runner, runner.epoch)
            self.set_batch_size(runner, self.phases[self.phase_at(runner.epoch)]['batch_size'])

    @staticmethod
    def set_batch_size(runner, total: Optional[int]) -> None:
        """Rebuilds the training dataloader for ``total`` images per step over all
        processes (``None``: leaves it as it is)."""
        if not total:
            return
        world = runner.world_size
        if total % world:
            raise ValueError(f'TrainingPhaseHook: a phase batch of {total} does not divide '
                             f'among {world} processes')
        loop = runner.train_loop
        old = loop.dataloader
        per_process = total // world
        if old.batch_size == per_process:
            return
        loop.dataloader = DataLoader(
            old.dataset, batch_size=per_process, sampler=old.sampler,
            num_workers=old.num_workers, collate_fn=old.collate_fn,
            pin_memory=old.pin_memory, drop_last=old.drop_last,
            worker_init_fn=old.worker_init_fn,
            persistent_workers=old.num_workers > 0 and old.persistent_workers)
        runner.logger.info(f'training phase batch: {total} images per step '
                           f'({per_process} per process x {world}), was {old.batch_size} '
                           'per process')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        # The train loop sets model.train() after before_train_epoch: norms of frozen
        # modules are put back in eval mode here.
        self.apply(runner, runner.epoch if self.by_epoch else runner.iter)


__all__ = ['MULTITASK_NET_PHASES', 'TrainingPhaseHook']
