"""Registers vidcore-tsn's components and commands with vidcore, lazily: nothing heavy is imported here."""

from vidcore import hookimpl


@hookimpl
def vidcore_register(registry):
    pass


@hookimpl
def vidcore_add_commands(subparsers):
    from .cli import add_infer_command
    from .interop.commands import add_interop_commands

    add_infer_command(subparsers)
    add_interop_commands(subparsers)
