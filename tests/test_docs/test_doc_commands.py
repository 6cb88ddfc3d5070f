"""Runs the shell commands of the documentation, as the doc-test markers before them say.

The convention (also in docs/useful_tools.md, "How the commands of these docs are
tested"): an HTML comment on the line before a fenced block, invisible on GitHub,

* ``<!-- doc-test -->``: run the next ``bash``/``shell``/``sh`` block as written;
* ``<!-- doc-test: fast -->``: run it with ``--cfg-options`` and the ``FAST`` settings
  below appended to every command line that calls a tool of ``FAST_TOOLS`` (smaller
  SynthHeads splits, a checkpoint only at the end; epochs and models unchanged);
* ``<!-- doc-test: file=PATH -->``: write the next block (of any language, e.g. a
  Python module or config of a tutorial) to ``PATH``, for the blocks after it;
* ``<!-- doc-skip: REASON -->``: never run the block (GPU, several nodes, SLURM, real
  data sets, placeholders); the reason shows in pytest's skip report (``-rs``).

A shell block with no marker is skipped as "no doc-test marker"; in the docs that
``MARKED_FILES`` lists, every shell block must carry one. All blocks run in order, in
one scratch folder that links to the repository's top-level entries (so outputs such
as ``work_dirs/`` stay out of the repository): README.md, docs/get_started.md,
docs/train_test.md, the other docs alphabetically, then the projects' READMEs. A later
page may thus use what the quick start of docs/get_started.md made.
"""

import glob
import os
import os.path as osp
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import pytest

from headpose.testing import REPO_ROOT, tool_env

SHELL_LANGS = ('bash', 'shell', 'sh', 'console')
MARKER = re.compile(r'^\s*<!--\s*(doc-test|doc-skip)\s*(?::\s*(.*?))?\s*-->\s*$')
FENCE = re.compile(r'^(\s*)```\s*([\w+-]*)')

#: Docs whose every shell block must carry a marker.
MARKED_FILES = (
    'docs/useful_tools.md',
    'docs/changelog.md',
    'docs/advanced_guides/customize_models.md',
    'docs/advanced_guides/customize_datasets.md',
    'docs/advanced_guides/customize_runtime.md',
    'projects/example_custom_head/README.md',
    'docs/get_started.md',
    'docs/train_test.md',
)

#: The tools that ``doc-test: fast`` appends ``--cfg-options FAST`` to.
FAST_TOOLS = ('tools/train.py', 'tools/test.py', 'tools/dist_train.sh', 'tools/dist_test.sh',
              'tools/analysis_tools/mean_baseline.py')

#: Small SynthHeads splits and 32 x 32 crops for the configs of head crops (RankPose and
#: what inherits it; CropHead is step 1 of their pipelines), a checkpoint only at the end.
FAST = (
    'train_dataloader.batch_size=8',
    'train_dataloader.dataset.dataset.num_samples=16',
    'train_dataloader.dataset.dataset.num_identities=4',
    'train_dataloader.dataset.dataset.img_size=48',
    'train_dataloader.dataset.dataset.pipeline.1.input_size=(32,32)',
    'val_dataloader.batch_size=8',
    'val_dataloader.dataset.num_samples=8',
    'val_dataloader.dataset.num_identities=2',
    'val_dataloader.dataset.img_size=48',
    'val_dataloader.dataset.pipeline.1.input_size=(32,32)',
    'test_dataloader.batch_size=8',
    'test_dataloader.dataset.num_samples=8',
    'test_dataloader.dataset.num_identities=2',
    'test_dataloader.dataset.img_size=48',
    'test_dataloader.dataset.pipeline.1.input_size=(32,32)',
    'default_hooks.checkpoint.interval=1000',
    'default_hooks.logger.interval=1',
)

#: Top-level entries of the repository that are not linked into the scratch folder.
NOT_LINKED = {'.git', '.venv', 'work_dirs', 'data', '__pycache__', '.pytest_cache',
              '.ruff_cache'}


@dataclass
class Block:
    """One fenced block of a doc and what its marker says to do with it."""

    path: str
    line: int
    lang: str
    text: str
    action: str  # 'run', 'fast', 'file' or 'skip'
    reason: str = ''
    target: Optional[str] = None
    commands: List[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f'{self.path}:{self.line}'


def doc_files(root: str = REPO_ROOT) -> List[str]:
    """The docs in the order their blocks run (paths relative to ``root``)."""
    first = ['README.md', 'docs/get_started.md', 'docs/train_test.md']
    docs = sorted(set(glob.glob(osp.join(root, 'docs', '*.md')) +
                      glob.glob(osp.join(root, 'docs', '**', '*.md'), recursive=True)))
    projects = sorted(glob.glob(osp.join(root, 'projects', '**', 'README.md'), recursive=True))
    out = [p for p in first if osp.isfile(osp.join(root, p))]
    for p in docs + projects:
        rel = osp.relpath(p, root)
        if rel not in out:
            out.append(rel)
    return out


def parse_blocks(path: str, text: str) -> List[Block]:
    """The fenced blocks of a Markdown text, with the action of their markers.

    Raises:
        ValueError: naming the line of a malformed marker, of a ``doc-test`` marker
            that is not followed by a block, or of an unclosed fence.
    """
    lines = text.splitlines()
    blocks, pending, i = [], None, 0
    while i < len(lines):
        line = lines[i]
        marker = MARKER.match(line)
        if marker:
            if pending is not None:
                raise ValueError(f'{path}:{pending[2]}: marker not followed by a block')
            pending = (marker.group(1), (marker.group(2) or '').strip(), i + 1)
            i += 1
            continue
        fence = FENCE.match(line)
        if not fence:
            if line.strip() and pending is not None:
                raise ValueError(f'{path}:{pending[2]}: marker not followed by a block')
            i += 1
            continue
        indent, lang = len(fence.group(1)), fence.group(2).lower()
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not re.match(r'^\s*```\s*$', lines[i]):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == '' else lines[i])
            i += 1
        if i == len(lines):
            raise ValueError(f'{path}:{start}: unclosed code fence')
        i += 1
        block = Block(path, start, lang, '\n'.join(body) + '\n', action='')
        kind, arg, _ = pending if pending else (None, '', None)
        pending = None
        if kind == 'doc-skip':
            if not arg:
                raise ValueError(f'{path}:{start}: doc-skip needs a reason')
            block.action, block.reason = 'skip', arg
        elif kind == 'doc-test' and arg.startswith('file='):
            block.action, block.target = 'file', arg[len('file='):].strip()
        elif kind == 'doc-test':
            if lang not in SHELL_LANGS:
                raise ValueError(f'{path}:{start}: doc-test on a {lang or "plain"} block; '
                                 'use doc-test: file=PATH to write it to a file')
            if arg not in ('', 'fast'):
                raise ValueError(f'{path}:{start}: unknown doc-test option {arg!r}')
            block.action = 'fast' if arg == 'fast' else 'run'
            block.commands = commands_of(block.text, fast=arg == 'fast', where=block.id)
        elif lang in SHELL_LANGS:
            block.action, block.reason = 'skip', 'no doc-test marker'
        else:
            continue  # an unmarked block of code or output: not a command
        blocks.append(block)
    if pending is not None:
        raise ValueError(f'{path}:{pending[2]}: marker not followed by a block')
    return blocks


def strip_comment(line: str) -> str:
    """A shell line without its trailing ``# comment`` (quotes respected)."""
    quote = None
    for k, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in '"\'':
            quote = ch
        elif ch == '#' and (k == 0 or line[k - 1].isspace()):
            return line[:k].rstrip()
    return line.rstrip()


def commands_of(text: str, fast: bool = False, where: str = '') -> List[str]:
    """The logical command lines of a shell block, with the fast settings if asked.

    Raises:
        ValueError: if a fast command line chains commands (``|``, ``&&``, ``;``).
    """
    logical, current = [], ''
    for raw in text.splitlines():
        part = raw.strip() if current else raw.rstrip()
        if part.endswith('\\'):
            current += part[:-1].rstrip() + ' '
            continue
        logical.append(current + part)
        current = ''
    if current:
        logical.append(current)
    out = []
    for line in logical:
        line = strip_comment(line)
        if not line.strip():
            continue
        if fast and any(tool in line for tool in FAST_TOOLS):
            if re.search(r'\||&&|;', line):
                raise ValueError(f'{where}: a doc-test: fast line must be one command: {line}')
            line = f'{line} --cfg-options {" ".join(shlex.quote(o) for o in FAST)}'
        out.append(line)
    return out


def collect(root: str = REPO_ROOT) -> List[Block]:
    """Every marked or shell block of the docs, in the order they run."""
    blocks = []
    for rel in doc_files(root):
        with open(osp.join(root, rel), encoding='utf-8') as f:
            blocks += parse_blocks(rel, f.read())
    return blocks


BLOCKS = collect()
_STATE: Dict[str, object] = {}


@pytest.fixture(scope='module')
def sandbox(tmp_path_factory) -> str:
    """The scratch folder the blocks run in, linking to the repository's entries."""
    root = str(tmp_path_factory.mktemp('docs'))
    for name in os.listdir(REPO_ROOT):
        if name not in NOT_LINKED:
            os.symlink(osp.join(REPO_ROOT, name), osp.join(root, name))
    return root


def environment() -> dict:
    env = tool_env(dict(MPLBACKEND='Agg'))
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    return env


@pytest.mark.parametrize('block', BLOCKS, ids=[b.id for b in BLOCKS])
def test_doc_block(block: Block, sandbox: str):
    if block.action == 'skip':
        pytest.skip(f'{block.id}: {block.reason}')
    if _STATE.get('failed'):
        pytest.skip(f'{block.id}: an earlier block ({_STATE["failed"]}) failed')
    if block.action == 'file':
        target = osp.join(sandbox, block.target)
        if osp.islink(osp.join(sandbox, block.target.split('/')[0])):
            raise AssertionError(f'{block.id}: {block.target} would be written into the '
                                 'repository; write tutorial files to a new folder')
        os.makedirs(osp.dirname(target) or sandbox, exist_ok=True)
        with open(target, 'w', encoding='utf-8') as f:
            f.write(block.text)
        return
    script = 'set -e -o pipefail\n' + '\n'.join(block.commands) + '\n'
    proc = subprocess.run(['bash', '-c', script], cwd=sandbox, env=environment(),
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        _STATE['failed'] = block.id
        raise AssertionError(f'{block.id} failed (exit {proc.returncode}):\n{script}\n'
                             f'--- stdout ---\n{proc.stdout[-3000:]}\n'
                             f'--- stderr ---\n{proc.stderr[-3000:]}')


def test_every_shell_block_of_the_marked_docs_has_a_marker():
    unmarked = [b.id for b in BLOCKS if b.path in MARKED_FILES and
                b.reason == 'no doc-test marker']
    assert not unmarked, f'shell blocks without a doc-test/doc-skip marker: {unmarked}'


def test_report(capsys):
    """Prints how many blocks run and how many are skipped, and why."""
    ran = [b for b in BLOCKS if b.action in ('run', 'fast')]
    skipped: Dict[str, List[str]] = {}
    for b in BLOCKS:
        if b.action == 'skip':
            skipped.setdefault(b.reason, []).append(b.id)
    with capsys.disabled():
        print(f'\ndoc blocks: {len(ran)} run ({sum(b.action == "fast" for b in ran)} with the '
              f'fast settings), {sum(b.action == "file" for b in BLOCKS)} written to files, '
              f'{sum(map(len, skipped.values()))} skipped')
        for reason, ids in sorted(skipped.items()):
            print(f'  skipped ({len(ids)}): {reason}: {", ".join(ids)}')
    assert len(ran) >= 10


def test_parser_and_fast_settings():
    text = '\n'.join([
        'Intro', '', '<!-- doc-test: fast -->', '```bash',
        'python tools/train.py configs/x.py \\', '    --work-dir w  # trains',
        'echo "a # not a comment"', '```', '', '<!-- doc-skip: needs a GPU -->', '```shell',
        'python tools/train.py x --amp', '```', '', '```bash', 'make test', '```', '',
        '<!-- doc-test: file=my/mod.py -->', '```python', 'X = 1', '```', '', '```python',
        'not a command', '```'])
    fast, skip, unmarked, written = parse_blocks('doc.md', text)
    assert fast.action == 'fast' and fast.line == 4
    assert fast.commands[0].startswith('python tools/train.py configs/x.py --work-dir w '
                                       '--cfg-options train_dataloader.batch_size=8')
    assert '# trains' not in fast.commands[0]
    assert fast.commands[1] == 'echo "a # not a comment"'
    assert skip.action == 'skip' and skip.reason == 'needs a GPU'
    assert unmarked.action == 'skip' and unmarked.reason == 'no doc-test marker'
    assert written.action == 'file' and written.target == 'my/mod.py' and written.text == 'X = 1\n'
    with pytest.raises(ValueError, match='doc-skip needs a reason'):
        parse_blocks('d.md', '<!-- doc-skip -->\n```bash\nls\n```\n')
    with pytest.raises(ValueError, match='not followed by a block'):
        parse_blocks('d.md', '<!-- doc-test -->\nsome text\n```bash\nls\n```\n')
    with pytest.raises(ValueError, match='one command'):
        commands_of('python tools/train.py c.py | tee log', fast=True)
    # The fast settings are valid --cfg-options for the quick-start config.
    import argparse

    from mmengine.config import DictAction  # the parser of --cfg-options
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    opts = parser.parse_args(['--cfg-options', *FAST]).cfg_options
    from headpose.utils.launch import load_config
    cfg = load_config(osp.join(REPO_ROOT, 'configs/rankpose/r18_arccos_synthheads.py'), opts)
    assert cfg.train_dataloader.dataset.dataset.num_samples == 16
    assert cfg.test_dataloader.dataset.num_samples == 8
    for pipeline in (cfg.train_dataloader.dataset.dataset.pipeline,
                     cfg.val_dataloader.dataset.pipeline, cfg.test_dataloader.dataset.pipeline):
        assert pipeline[1]['type'] == 'CropHead' and tuple(pipeline[1]['input_size']) == (32, 32)
    assert shlex.split(fast.commands[0])[-1] == FAST[-1]
