"""`vidcore` entry point: core subcommands, plugin subcommands, and the user-error policy (exit 2, one line)."""

from __future__ import annotations

import argparse
import os
import re
import sys

from .. import __version__
from .. import _interrupts as interrupts
from ..errors import VidcoreError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: the CLI starts faster
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, NoReturn

USER_ERROR_EXIT = 2
DISTRIBUTED_FAILURE_EXIT = 1  # a collective failed: another rank died or hung (see docs/reliability.md)


class _Parser(argparse.ArgumentParser):
    """argparse under the CLI's user-error policy: a usage mistake is one line (with a "did you mean" for a
    mistyped command and where the usage is) and exit status 2, instead of the usage block and the error.
    Subcommand parsers, plugins' included, are made of the same class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_defaults(command_prog=self.prog)  # the deepest subcommand parsed sets it last

    def error(self, message: str) -> NoReturn:
        raise usage_error(self.prog, message)


def usage_error(prog: str, message: str) -> VidcoreError:
    """`vidcore run: <argparse's message> (see `vidcore run --help`)`, with a "did you mean" for a mistyped choice."""
    return VidcoreError(f"{prog}: {message}{_did_you_mean(message)} (see `{prog} --help`)")


_INVALID_CHOICE = re.compile(r"invalid choice: '?([^' ]+)'? \(choose from (.+)\)$")


# Commands that left the core for a distribution of their own: a user of an older release is told where they went.
MOVED_COMMANDS = {"plot": "vidcore-plot", "new-plugin": "vidcore-testing"}


def _did_you_mean(message: str) -> str:
    found = _INVALID_CHOICE.search(message)
    if not found:
        return ""
    if found.group(1) in MOVED_COMMANDS:
        from ..registry._hints import install_command

        command, dist = found.group(1), MOVED_COMMANDS[found.group(1)]
        return f"; '{command}' comes from the distribution {dist}, which is not installed: {install_command(dist)}"
    import difflib

    choices = [choice.strip().strip("'") for choice in found.group(2).split(",")]
    close = difflib.get_close_matches(found.group(1), choices, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def build_parser(strict_plugins: bool = False, plugin_commands: bool = True) -> argparse.ArgumentParser:
    """The full parser; `plugin_commands=False` leaves out plugin subcommands (and loads no plugin)."""
    from .commands import CORE_COMMANDS

    parser = _Parser(
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
        from ..plugins._manager import get_plugin_manager

        manager = get_plugin_manager()
        manager.strict = strict_plugins
        manager.add_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit status. SIGINT is handled from here on, before any heavy import (docs/reliability.md:
    an interrupt at any moment ends the command with one line and status 130)."""
    restore = interrupts.install()
    try:
        try:
            status = _run(list(sys.argv[1:] if argv is None else argv))
        except KeyboardInterrupt:  # a second Ctrl-C while the first one's line was being written
            return 130
        if interrupts.pending() and status == 0:  # swallowed by code that ignored it: still honoured
            status = _interrupted()
        return status
    finally:
        restore()
        interrupts.clear()


def _interrupted() -> int:
    return _fail("vidcore: interrupted", 130)


def _run(arguments: list[str]) -> int:
    debug = "--debug" in arguments
    try:
        if arguments in ([], ["-h"], ["--help"]):
            return _print_help()
        parser = build_parser(strict_plugins="--strict-plugins" in arguments,
                              plugin_commands=arguments[:1] != ["--version"])
        args, extras = parser.parse_known_args(arguments)
        if extras:  # named after the subcommand they were given to, not the top-level parser
            raise usage_error(args.command_prog, f"unrecognized arguments: {' '.join(extras)}")
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return USER_ERROR_EXIT if args.command is None and arguments else 0
        return int(handler(args) or 0)
    except VidcoreError as exc:
        if interrupts.pending() and not debug:  # an error caused by the interrupt (e.g. a half-done import)
            return _interrupted()
        if debug:
            import traceback

            traceback.print_exc()
        lines = getattr(exc, "lines", None) or [str(exc)]  # several problems (ConfigProblems): one line each
        for line in lines[:-1]:
            print(f"vidcore: error: {one_line(line)}", file=sys.stderr)
        return _fail(f"vidcore: error: {one_line(lines[-1])}", USER_ERROR_EXIT)
    except KeyboardInterrupt as exc:
        # TrainingInterrupted (vidcore.runner._interrupt): stopped on SIGINT/SIGTERM after saving a checkpoint
        message = getattr(exc, "message", None) or "interrupted"
        return _fail(f"vidcore: {message}", int(getattr(exc, "exit_status", 130)))
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if interrupts.pending() and not debug:
            return _interrupted()
        if debug or not _is_distributed_failure(exc):
            import traceback

            _record_for_torchrun(traceback.format_exc())
            raise
        return _fail(f"vidcore: error: {_distributed_failure_line(exc)}", DISTRIBUTED_FAILURE_EXIT)


def _print_help() -> int:
    """The top-level help: the stored text while it is current (no plugin is loaded), else the full parser's,
    which is then stored (see help_cache)."""
    from . import _help_cache as help_cache

    try:
        key = help_cache.fingerprint()
    except OSError:  # sources not in a folder (a zipped install): no caching
        key = None
    text = help_cache.load_help(key) if key else None
    if text is None:
        text = build_parser().format_help()
        from ..plugins._manager import get_plugin_manager

        if key and not get_plugin_manager().failures:
            help_cache.store_help(key, text)
    sys.stdout.write(text)
    return 0


def one_line(message: str) -> str:
    """A message as one line (user errors are one line; this keeps a multi-line cause from breaking that)."""
    return "; ".join(line.strip() for line in message.strip().splitlines() if line.strip())


def _fail(line: str, status: int) -> int:
    print(line, file=sys.stderr)
    _record_for_torchrun(line)
    return status


def _record_for_torchrun(message: str) -> None:
    """Under torchrun, write the error where its failure summary looks (`TORCHELASTIC_ERROR_FILE`, the JSON of
    torch.distributed.elastic's error files), so the summary's root cause shows vidcore's message."""
    path = os.environ.get("TORCHELASTIC_ERROR_FILE")
    if not path or os.path.exists(path):
        return
    import json
    import time

    try:
        with open(path, "w", encoding="utf-8") as file:
            json.dump({"message": {"message": message, "extraInfo": {"py_callstack": message,
                                                                     "timestamp": str(int(time.time()))}}}, file)
    except OSError:
        pass


def _is_distributed_failure(exc: BaseException) -> bool:
    """A torch.distributed collective failed: a peer closed its connection (it died) or the timeout passed.
    gloo reports these as plain RuntimeErrors, recognised by their origin in the message."""
    if "torch" not in sys.modules:
        return False
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return False
    if isinstance(exc, getattr(dist, "DistError", ())):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and any(origin in text for origin in ("gloo", "NCCL", "c10d", "ProcessGroup"))


def _distributed_failure_line(exc: BaseException) -> str:
    import torch.distributed as dist

    detail = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
    return (f"rank {dist.get_rank()} of {dist.get_world_size()}: a collective operation failed because another "
            "process of the job died or hung (see that process's own error; env_cfg.dist_cfg.timeout bounds the wait "
            f"for a hung one): {type(exc).__name__}: {detail}")


if __name__ == "__main__":
    sys.exit(main())
