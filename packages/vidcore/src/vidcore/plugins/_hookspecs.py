"""The hooks a vidcore plugin may implement. Hooks evolve only by gaining keyword arguments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._markers import hookspec

if TYPE_CHECKING:
    import argparse

    from ._manager import Registrar


@hookspec
def vidcore_register(registry: Registrar) -> None:
    """Register this distribution's components.

    `registry` is a `Registrar` bound to the calling distribution: call
    `registry.register(kind, name, "module:attr")` (lazy: nothing is imported until the component is
    built) or `registry.register_many(kind, {name: "module:attr", ...})`. Must not import heavy modules.
    """


@hookspec
def vidcore_add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add subcommands to the `vidcore` CLI.

    `subparsers` is argparse's sub-parser action: `parser = subparsers.add_parser("name", help=...)`,
    then `parser.set_defaults(handler=function)` where `function(args) -> int | None` runs the command.
    Import heavy modules inside the handler, never here.
    """


@hookspec
def vidcore_configure(cfg: dict[str, Any]) -> None:
    """Validate or fill defaults in the resolved config (a plain dict, edited in place) before it is built.

    Raise `vidcore.ConfigError` with the key path for a problem the plugin can explain.
    """


@hookspec
def vidcore_config_keys() -> dict[str, str]:
    """The top-level config keys this distribution reads: `{name: one-line description}`.

    vidcore refuses top-level keys that neither it nor a plugin declares, so a plugin that reads a key of its
    own (`my_plugin: {...}`) must declare it here. Must not import heavy modules.
    """
