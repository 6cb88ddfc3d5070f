"""Training in phases: freezing and unfreezing groups of parameters at phase boundaries."""

from typing import List, Sequence

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from headpose.registry import HOOKS

#: Multitask-Net's three phases, by module name: (1) the box branch, (2) the box branch
#: and the backbone, (3) everything.
MULTITASK_NET_PHASES = (
    dict(begin=0, trainable=['neck', 'bbox_head']),
    dict(begin=10, trainable=['backbone', 'neck', 'bbox_head']),
    dict(begin=20, trainable='all'),
)


@HOOKS.register_module()
class TrainingPhaseHook(Hook):
    """Runs one schedule as consecutive phases, each training only some parameter groups.

    A phase starts at epoch (or iteration) ``begin`` and lists the top-level modules
    of the model whose parameters are trained (``'all'``: every module); every other
    top-level module is frozen (``requires_grad=False``) and, with ``freeze_norm``, its
    batch norms are kept in eval mode so their statistics do not move. The phase is
    applied before each epoch (or iteration), so a resumed run continues in the right
    phase (``requires_grad`` is set once per phase; the norms of frozen modules are put
    back in eval mode every time); each change is logged with the trainable and frozen
    modules and their parameter counts. The optimizer holds every parameter from the
    start; frozen ones get no gradient and are not updated.

    Args:
        phases: dicts with ``begin`` (increasing, the first 0) and ``trainable`` (a
            list of module names, or ``'all'``).
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
        self.phases = [dict(begin=int(p['begin']), trainable=p['trainable']) for p in phases]
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
        names = [n for n, _ in model.named_children() if n != 'data_preprocessor']
        if phase['trainable'] == 'all':
            return names
        wanted = [phase['trainable']] if isinstance(phase['trainable'], str) else \
            list(phase['trainable'])
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            raise KeyError(f'TrainingPhaseHook: the model has no module(s) {unknown}; its '
                           f'top-level modules are {names}')
        return wanted

    def apply(self, runner, step: int) -> None:
        """Sets ``requires_grad`` (and norm modes) for the phase of ``step``."""
        index = self.phase_at(step)
        if index == self.current and not (self.freeze_norm and self._frozen):
            return  # nothing to redo: requires_grad only changes with the phase
        model = self._model(runner)
        trainable = self._trainable(model, self.phases[index])
        frozen = []
        for name, module in model.named_children():
            if name == 'data_preprocessor':
                continue
            train = name in trainable
            for p in module.parameters():
                p.requires_grad = train
            if not train:
                frozen.append(name)
                if self.freeze_norm:
                    for m in module.modules():
                        if isinstance(m, nn.modules.batchnorm._BatchNorm):
                            m.eval()
        self._frozen = frozen
        if index != self.current:
            self.current = index
            unit = 'epoch' if self.by_epoch else 'iteration'

            def count(names: List[str]) -> str:
                return ', '.join(f'{n} ({sum(p.numel() for p in getattr(model, n).parameters())})'
                                 for n in names) or 'none'

            runner.logger.info(
                f'training phase {index + 1}/{len(self.phases)} from {unit} {step}: '
                f'trainable: {count(trainable)}; frozen: {count(frozen)}')

    def before_train_epoch(self, runner) -> None:
        if self.by_epoch:
            self.apply(runner, runner.epoch)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        # The train loop sets model.train() after before_train_epoch: norms of frozen
        # modules are put back in eval mode here.
        self.apply(runner, runner.epoch if self.by_epoch else runner.iter)


__all__ = ['MULTITASK_NET_PHASES', 'TrainingPhaseHook']
