"""`vidcore config show CFG` (resolved YAML) and `vidcore config check CFG` (every component, dry)."""

from __future__ import annotations

import argparse
import sys


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """CFG and --cfg-options, shared by every command that reads a config."""
    parser.add_argument("config", metavar="CFG", help="YAML or JSON config file")
    parser.add_argument("--cfg-options", nargs="+", default=[], metavar="KEY=VALUE",
                        help="override config keys, e.g. optim_wrapper.optimizer.lr=0.01")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="show or check a config")
    actions = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="print the resolved config as YAML")
    add_config_arguments(show)
    show.set_defaults(handler=show_config)
    check = actions.add_parser("check", help="validate every key, value and component of a config without "
                                              "building it")
    add_config_arguments(check)
    check.set_defaults(handler=check_config)
    keys = actions.add_parser("keys", help="list the top-level config keys vidcore and the installed plugins read")
    keys.set_defaults(handler=list_keys)


def show_config(args: argparse.Namespace) -> int:
    from ...config import load_config

    sys.stdout.write(load_config(args.config, args.cfg_options).dump())
    return 0


def check_config(args: argparse.Namespace) -> int:
    from ...config import load_config
    from ...plugins import default_registry
    from ...plugins._manager import get_plugin_manager
    from ...runner._config_check import ConfigProblems
    from ...runner._config_check import check_config as check

    default_registry().ensure_loaded()
    get_plugin_manager().warn_failures()  # one line per installed plugin that failed: the config may need it
    cfg = load_config(args.config, args.cfg_options)
    warnings: list[str] = []
    errors, checked = check(cfg, warnings)
    for warning in warnings:
        print(f"vidcore: warning: {warning}", file=sys.stderr)
    if errors:
        raise ConfigProblems(errors, cfg.filename)
    noted = f", {len(warnings)} warning{'s' if len(warnings) > 1 else ''}" if warnings else ""
    print(f"{cfg.filename}: OK, {checked} components checked{noted}")
    return 0


def list_keys(args: argparse.Namespace) -> int:
    from ...plugins._manager import get_plugin_manager

    keys = get_plugin_manager().declared_config_keys()
    width = max(map(len, keys))
    for name, description in keys.items():
        print(f"{name:<{width}}  {description}")
    print("Keys starting with '_', and keys that a ${...} reference uses, are yours; any other key is an error.")
    return 0
