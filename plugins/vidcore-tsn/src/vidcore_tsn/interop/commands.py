"""The `vidcore migrate` and `vidcore convert-checkpoint` subcommands (parsers here, work in the handlers)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["add_interop_commands", "run_migrate", "run_convert_checkpoint"]


def add_interop_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add `migrate` and `convert-checkpoint` to the `vidcore` CLI."""
    migrate = subparsers.add_parser(
        "migrate", help="convert an mmaction2 Python config to a vidcore YAML config (no code is executed)",
        description="Read an mmaction2 config (0.x or 1.x, its _base_ chain followed) without executing it and "
                    "write the equivalent vidcore YAML config. Whatever cannot be mapped is reported on stderr "
                    "and listed as TODO comments at the top of the YAML.")
    migrate.add_argument("config", metavar="MMACTION_CFG.py", help="mmaction2 Python config")
    migrate.add_argument("-o", "--output", metavar="OUT.yaml", help="write the YAML here (default: stdout)")
    migrate.add_argument("--strict", action="store_true", help="fail (exit 2) when anything could not be mapped")
    migrate.add_argument("-v", "--verbose", action="store_true",
                         help="also print notes on what was mapped (helper variables inlined, no-op arguments)")
    migrate.set_defaults(handler=run_migrate)

    convert = subparsers.add_parser(
        "convert-checkpoint", help="convert mmaction2 TSN/ResNet weights to a vidcore checkpoint",
        description="Rename an mmaction2 checkpoint's weights to vidcore-tsn's names, load them strictly into the "
                    "model that CFG builds (verifying names and shapes) and write a vidcore checkpoint.")
    convert.add_argument("input", metavar="IN.pth", help="mmaction2 checkpoint")
    convert.add_argument("output", metavar="OUT.pth", help="vidcore checkpoint to write")
    convert.add_argument("--config", required=True, metavar="CFG.yaml", help="vidcore config of the model")
    convert.add_argument("--cfg-options", nargs="+", default=[], metavar="KEY=VALUE", help="override config keys")
    convert.add_argument("--unsafe-load", action="store_true",
                         help="load a checkpoint that holds pickled Python objects; this can run code from the "
                              "file, so use it only for files you trust")
    convert.add_argument("--strict", action="store_true", help="fail when input tensors are left unmapped")
    convert.set_defaults(handler=run_convert_checkpoint)


def run_migrate(args: argparse.Namespace) -> int:
    from vidcore.errors import ConfigError

    from .migrate import migrate_config, render_yaml

    if args.output and Path(args.output).resolve() == Path(args.config).resolve():
        raise ConfigError(f"{args.output}: the output would overwrite the input config")
    migration = migrate_config(args.config)
    for item in migration.diagnostics.items:
        if item.level == "warning" or args.verbose:
            print(f"vidcore migrate: {item.level}: {item}", file=sys.stderr)
    warnings = migration.diagnostics.warnings
    if args.strict and warnings:
        raise ConfigError(f"{args.config}: --strict: {len(warnings)} item(s) could not be mapped (listed above)")
    text = render_yaml(migration)
    if args.output:
        _write_atomically(Path(args.output), text)
        print(f"vidcore migrate: wrote {args.output}: {migration.summary()}", file=sys.stderr)
    else:
        sys.stdout.write(text)
        print(f"vidcore migrate: {migration.summary()}", file=sys.stderr)
    return 0


def run_convert_checkpoint(args: argparse.Namespace) -> int:
    from .checkpoint_convert import convert_checkpoint

    report = convert_checkpoint(args.input, args.output, args.config, cfg_options=args.cfg_options,
                                unsafe_load=args.unsafe_load, strict=args.strict)
    for line in report.lines():
        print(f"vidcore convert-checkpoint: {line}", file=sys.stderr)
    return 0


def _write_atomically(path: Path, text: str) -> None:
    from vidcore.errors import ConfigError

    temp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temp, path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc}") from None
    finally:
        if temp is not None and os.path.exists(temp):
            os.unlink(temp)
