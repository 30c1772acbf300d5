"""`vidcore new-plugin NAME [--dir D]`: scaffold a third-party plugin distribution `vidcore-NAME`."""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "new-plugin", help="scaffold a third-party plugin distribution",
        description="Create vidcore-NAME: pyproject, a lazily registered example transform, model, hook and "
                    "dataset, an example config and tests that pass out of the box.")
    parser.add_argument("name", metavar="NAME", help="lowercase letters, digits and hyphens, e.g. 'my-plugin'")
    parser.add_argument("--dir", metavar="D", help="folder to create the project in (default: ./vidcore-NAME); "
                                                   "it may exist only if it is empty")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from .scaffold import render_plugin

    names, folder, written = render_plugin(args.name, args.dir)
    print(f"Created {names.dist} in {folder} ({len(written)} files):")
    for path in written:
        print(f"  {path.as_posix()}")
    config = f"src/{names.package}/configs/example.yaml"
    print(f"\nNext:\n  cd {folder}\n  pip install -e \".[test]\"\n  pytest\n  vidcore run {config}")
    return 0
