"""Hook implementations of vidcore-plot: the `vidcore plot` subcommand (matplotlib is imported when it runs)."""

from __future__ import annotations

import argparse

from vidcore import hookimpl


@hookimpl
def vidcore_add_commands(subparsers: argparse._SubParsersAction) -> None:
    from .command import add_parser

    add_parser(subparsers)
