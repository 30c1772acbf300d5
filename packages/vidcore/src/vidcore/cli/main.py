"""`vidcore` entry point: core subcommands, plugin subcommands, and the user-error policy (exit 2, one line)."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .. import __version__
from ..errors import VidcoreError
from .commands import CORE_COMMANDS

__all__ = ["main", "build_parser", "USER_ERROR_EXIT"]

USER_ERROR_EXIT = 2


def build_parser(strict_plugins: bool = False, plugin_commands: bool = True) -> argparse.ArgumentParser:
    """The full parser; `plugin_commands=False` leaves out plugin subcommands (and loads no plugin)."""
    parser = argparse.ArgumentParser(
        prog="vidcore",
        description="Train, test and inspect video-understanding models from YAML configs.",
    )
    parser.add_argument("--version", action="version", version=f"vidcore {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of errors")
    parser.add_argument("--strict-plugins", action="store_true", help="fail when any plugin fails to load")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add_command in CORE_COMMANDS:
        add_command(subparsers)
    if plugin_commands:
        from ..plugins.manager import get_plugin_manager

        manager = get_plugin_manager()
        manager.strict = strict_plugins
        manager.add_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    try:
        parser = build_parser(strict_plugins="--strict-plugins" in arguments,
                              plugin_commands=arguments[:1] != ["--version"])
        args = parser.parse_args(arguments)
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return USER_ERROR_EXIT if args.command is None and arguments else 0
        return int(handler(args) or 0)
    except VidcoreError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        print(f"vidcore: error: {exc}", file=sys.stderr)
        return USER_ERROR_EXIT
    except KeyboardInterrupt:
        print("vidcore: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
