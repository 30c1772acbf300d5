"""Registers vidcore-tensorboard's components with vidcore, lazily: nothing heavy is imported here."""

from vidcore import hookimpl


@hookimpl
def vidcore_register(registry):
    pass
