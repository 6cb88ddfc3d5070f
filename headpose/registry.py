"""The registries of headpose, children of mmengine's root registries.

Each registry lists the sub-package where its members live (``locations``), so a
config that names a type resolves it without the user importing anything.
"""

import difflib

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry as _MMRegistry


class Registry(_MMRegistry):
    """An mmengine registry whose failed look-ups name the closest registered types.

    mmengine answers an unknown ``type`` with a bare "not in the registry"; here the
    error names the registry, the type and the registered names that look most like it.
    """

    def get(self, key):
        obj = super().get(key)
        if obj is None and isinstance(key, str):
            known = sorted(self._all_names())
            close = difflib.get_close_matches(key.split('.')[-1], known, n=5, cutoff=0.5)
            hint = f' Closest registered names: {", ".join(close)}.' if close else ''
            raise KeyError(
                f'{key!r} is not in the {self.scope}::{self.name} registry.{hint} '
                'If it lives in your own module, list that module in the config\'s '
                '`custom_imports = dict(imports=[...])`.')
        return obj

    def _all_names(self) -> set:
        """Names visible from this registry: its own, its parent's and its siblings'."""
        self.import_from_location()
        names = set(self.module_dict)
        if self.parent is not None:
            names |= set(self.parent.module_dict)
            for child in self.parent.children.values():
                names |= set(child.module_dict)
        return names


RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, locations=['headpose.engine'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['headpose.engine'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['headpose.engine.hooks'])
LOG_PROCESSORS = Registry(
    'log_processor', parent=MMENGINE_LOG_PROCESSORS, locations=['headpose.engine'])
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMENGINE_MODEL_WRAPPERS,
    locations=['headpose.engine.model_wrappers'])
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, locations=['headpose.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, locations=['headpose.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['headpose.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS, locations=['headpose.engine'])

DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, locations=['headpose.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS, locations=['headpose.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS, locations=['headpose.datasets.transforms'])

MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['headpose.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS, locations=['headpose.models'])
# Task utilities: the models' codecs, anchors and coders, and the head detectors of the
# inference path (helpers with nothing to train, so they live in headpose.apis).
TASK_UTILS = Registry(
    'task util', parent=MMENGINE_TASK_UTILS,
    locations=['headpose.models.task_modules', 'headpose.apis.detectors'])

METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=['headpose.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, locations=['headpose.evaluation'])

VISUALIZERS = Registry(
    'visualizer', parent=MMENGINE_VISUALIZERS, locations=['headpose.visualization'])
VISBACKENDS = Registry(
    'vis_backend', parent=MMENGINE_VISBACKENDS, locations=['headpose.visualization'])
