"""Core subcommands; each module has `add_parser(subparsers)` and a handler taking the parsed args."""

from . import _config as config
from . import _plugins as plugins
from . import _train as train

CORE_COMMANDS = (train.add_run_parser, train.add_test_parser, plugins.add_parser, config.add_parser)

__all__ = ["CORE_COMMANDS"]
