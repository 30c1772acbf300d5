"""Core subcommands; each module has `add_parser(subparsers)` and a handler taking the parsed args."""

from . import config, plugins, train

CORE_COMMANDS = (train.add_run_parser, train.add_test_parser, plugins.add_parser, config.add_parser)

__all__ = ["CORE_COMMANDS"]
