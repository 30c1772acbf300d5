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
    check = actions.add_parser("check", help="validate every component of a config without building it")
    add_config_arguments(check)
    check.set_defaults(handler=check_config)


def show_config(args: argparse.Namespace) -> int:
    from ...config import load_config

    sys.stdout.write(load_config(args.config, args.cfg_options).dump())
    return 0


def check_config(args: argparse.Namespace) -> int:
    from ...config import load_config
    from ...config.check import check_config as check
    from ...errors import ConfigError
    from ...plugins.manager import get_plugin_manager
    from ...registry import default_registry

    default_registry().ensure_loaded()
    get_plugin_manager().warn_failures()  # one line per installed plugin that failed: the config may need it
    cfg = load_config(args.config, args.cfg_options)
    errors, checked = check(cfg)
    if errors:
        for error in errors[:-1]:
            print(f"vidcore: error: {error}", file=sys.stderr)
        raise ConfigError(f"{errors[-1]} ({len(errors)} problem{'s' if len(errors) > 1 else ''} in {cfg.filename})")
    print(f"{cfg.filename}: OK, {checked} components checked")
    return 0
