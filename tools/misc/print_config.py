"""Print the fully resolved config (bases merged, ``--cfg-options`` applied).

``python tools/misc/print_config.py CONFIG [--cfg-options KEY=VALUE ...] [--save-path FILE]``

The output is itself a valid config file: ``--save-path`` writes it (``.py``, ``.json``
or ``.yaml``), e.g. to freeze a run's settings or to compare two configs with ``diff``.
Modules listed in the config's ``custom_imports`` are imported, as the tools do; the
config is read the way ``tools/train.py`` reads it, without importing torch.
"""

import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction

# The repository root, so that custom_imports which import headpose work uninstalled.
sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. train_cfg.max_epochs=2')
    parser.add_argument('--save-path', help='also write the resolved config to this file')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    """Prints (and optionally saves) the resolved config; returns its text."""
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise SystemExit(f'config file not found: {args.config}')
    cfg = Config.fromfile(args.config)  # imports the config's custom_imports
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    text = cfg.pretty_text
    print(text)
    if args.save_path:
        if not args.save_path.endswith(('.py', '.json', '.yaml', '.yml')):
            raise SystemExit(f'--save-path must end with .py, .json or .yaml, got '
                             f'{args.save_path}')
        cfg.dump(args.save_path)
        print(f'config written to {args.save_path}', file=sys.stderr)
    return text


if __name__ == '__main__':
    main()
