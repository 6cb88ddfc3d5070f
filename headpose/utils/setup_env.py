"""Registering all modules and setting the default scope, for scripts and tests."""

import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True, training: bool = True) -> None:
    """Imports every headpose module so that all types are registered.

    Args:
        init_default_scope: also make ``'headpose'`` the current default scope, so
            that registries resolve headpose's types first.
        training: also import the training engine (runner, hooks, wrappers); the apis
            pass ``False``: inference needs none of it.
    """
    import headpose.datasets  # noqa: F401
    if training:
        import headpose.engine  # noqa: F401
    import headpose.evaluation  # noqa: F401
    import headpose.models  # noqa: F401
    import headpose.visualization  # noqa: F401
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or current.scope_name != 'headpose':
        if current is not None:
            warnings.warn(f'the current default scope {current.scope_name!r} is not '
                          "'headpose'; a new scope 'headpose' is created and made current")
        name = f'headpose-{datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")}'
        DefaultScope.get_instance(name, scope_name='headpose')
