"""The import graph of the package: no circle, and models never import the apis.

Every ``import`` statement counts, also those inside functions (an import deferred to
call time still ties the two modules together). ``from pkg import name`` counts as an
import of the module ``pkg.name`` when that is a module, else of ``pkg``.
"""

import ast
import os
import os.path as osp
from typing import Dict, List, Set

from headpose.testing import REPO_ROOT

PACKAGE = 'headpose'


def _module_files() -> Dict[str, str]:
    root = osp.join(REPO_ROOT, PACKAGE)
    modules = {}
    for folder, _, files in os.walk(root):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = osp.join(folder, name)
            parts = osp.relpath(path, REPO_ROOT)[:-3].split(os.sep)
            if parts[-1] == '__init__':
                parts = parts[:-1]
            modules['.'.join(parts)] = path
    return modules


def import_graph() -> Dict[str, Set[str]]:
    """``{module: modules of the package it imports}``."""
    modules = _module_files()
    graph = {}
    for mod, path in modules.items():
        is_pkg = path.endswith('__init__.py')
        base = mod.split('.') if is_pkg else mod.split('.')[:-1]
        edges = set()
        for node in ast.walk(ast.parse(open(path).read(), path)):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    stem = base[:len(base) - node.level + 1]
                    target = '.'.join(stem + ([node.module] if node.module else []))
                else:
                    target = node.module
                targets = []
                for alias in node.names:
                    sub = f'{target}.{alias.name}'
                    targets.append(sub if sub in modules else target)
            else:
                continue
            edges.update(t for t in targets if t in modules and t != mod)
        graph[mod] = edges
    return graph


def find_cycle(graph: Dict[str, Set[str]]) -> List[str]:
    """One import circle as a list of modules (first == last), or ``[]``."""
    state, stack = {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return []


def test_the_graph_sees_deferred_and_relative_imports():
    graph = import_graph()
    # A relative import of a sibling module, and an import inside a function.
    assert 'headpose.apis.detectors.base' in graph['headpose.apis.detectors.haar']
    assert 'headpose.datasets' in graph['headpose.utils.setup_env']


def test_find_cycle_reports_a_circle():
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == ['a', 'b', 'c', 'a']
    assert find_cycle({'a': {'b'}, 'b': set()}) == []


def test_no_import_circle_in_the_package():
    cycle = find_cycle(import_graph())
    assert not cycle, 'import circle: ' + ' -> '.join(cycle)


def test_models_never_import_the_apis():
    bad = {mod: sorted(t for t in targets if t.startswith('headpose.apis'))
           for mod, targets in import_graph().items() if mod.startswith('headpose.models')}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f'models importing apis: {bad}'
