"""Hook implementations of vidcore-testing: the `vidcore new-plugin` subcommand."""

from __future__ import annotations

import argparse

from vidcore import hookimpl


@hookimpl
def vidcore_add_commands(subparsers: argparse._SubParsersAction) -> None:
    from .new_plugin_command import add_parser

    add_parser(subparsers)
