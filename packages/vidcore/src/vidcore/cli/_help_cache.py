"""The text of `vidcore --help`, kept on disk so that the next `--help` imports neither pluggy nor any plugin.

Plugins add subcommands through the `vidcore_add_commands` hook, so listing them means loading every plugin
(most of the CLI's start-up time). The help text depends only on what is installed and on the terminal, so it
is stored under `cache_dir()/cli` keyed by a fingerprint of exactly that: vidcore's version and CLI sources,
every `vidcore` entry point with its distribution's version, the plugin selection variables, the terminal
width and the language. Installing, upgrading or removing a plugin changes the fingerprint; a run whose
plugins failed to load stores nothing (its help would hide their commands).
"""

from __future__ import annotations

import os
import sys

from .. import __version__
from .._cache import cache_dir
from ..plugins._discovery import scan_entry_points

_KEEP = 16  # stored texts (one per environment: venvs, terminal widths, languages)
_ENVIRONMENT = ("VIDCORE_PLUGINS", "VIDCORE_DISABLE_PLUGINS", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def fingerprint() -> str:
    """One line that changes whenever the help text could."""
    cli_folder = os.path.dirname(__file__)
    sources = []
    for folder in (cli_folder, os.path.join(cli_folder, "commands")):
        with os.scandir(folder) as entries:
            sources += [f"{entry.name}:{entry.stat().st_mtime_ns}" for entry in entries if entry.name.endswith(".py")]
    parts = [
        f"vidcore {__version__}",
        f"python {sys.version_info[0]}.{sys.version_info[1]}",
        "sources " + ",".join(sorted(sources)),
        "plugins " + ",".join(f"{point.name}={point.value}@{point.dist}=={point.version}"
                              for point in scan_entry_points()),
        "env " + ",".join(f"{name}={os.environ.get(name, '')}" for name in _ENVIRONMENT),
        f"columns {_terminal_columns()}",
    ]
    return " | ".join(parts).replace("\n", " ")


def _terminal_columns() -> int:
    """The width argparse formats for (`shutil.get_terminal_size().columns`), without importing shutil, which
    imports bz2 and lzma (a tenth of the cached help's start-up)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def _path(key: str) -> str:
    import zlib

    return os.path.join(cache_dir(), "cli", f"help-{zlib.crc32(key.encode()):08x}.txt")


def load_help(key: str) -> str | None:
    """The stored help text for `key`, or None (missing, stale or unreadable)."""
    try:
        with open(_path(key), encoding="utf-8") as file:
            stored_key, _, text = file.read().partition("\n")
    except (OSError, UnicodeDecodeError):
        return None
    return text if stored_key == key and text else None


def store_help(key: str, text: str) -> None:
    """Write the help text for `key` atomically; an unwritable cache folder is not an error."""
    path = _path(key)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(f"{key}\n{text}")
        os.replace(temporary, path)
        _prune(os.path.dirname(path))
    except OSError:
        try:
            os.remove(temporary)
        except OSError:
            pass


def _prune(folder: str) -> None:
    """Keep the `_KEEP` most recently written texts."""
    with os.scandir(folder) as entries:
        stored = sorted((entry for entry in entries if entry.name.startswith("help-") and entry.name.endswith(".txt")),
                        key=lambda entry: entry.stat().st_mtime_ns, reverse=True)
    for entry in stored[_KEEP:]:
        os.remove(entry.path)
