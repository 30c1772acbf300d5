"""`vidcore migrate`: an mmaction2 Python config -> a vidcore YAML config, with every change reported."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config_mapping import drop_empty, map_config
from .diagnostics import Diagnostics, Reporter
from .py_config import load_py_config

__all__ = ["Migration", "migrate_config", "render_yaml"]


@dataclass
class Migration:
    """The vidcore config (plain data) and the diagnostics of the migration."""

    config: dict[str, Any]
    source: str
    diagnostics: Diagnostics


def migrate_config(path: str | Path, *, check_components: bool = True) -> Migration:
    """Migrate the mmaction2 config at `path` (its `_base_` chain followed, no code executed).

    With `check_components`, arguments and types are fitted to the installed vidcore components.
    """
    diagnostics = Diagnostics()
    loaded = load_py_config(path, diagnostics)
    reporter = Reporter(diagnostics, loaded.origins)
    config = map_config(loaded.data, loaded.referenced, reporter)
    if check_components:
        from vidcore.plugins import default_registry

        from .registry_fit import fit_to_registry

        drop_empty(fit_to_registry(config, default_registry(), reporter))
    return Migration(_plain(config), loaded.filename, diagnostics)


def render_yaml(migration: Migration) -> str:
    """The config as YAML, headed by comments listing the source and each warning as a TODO."""
    from vidcore.config import Config

    lines = [f"# Migrated from the mmaction2 config {migration.source} by `vidcore migrate`."]
    warnings = migration.diagnostics.warnings
    if warnings:
        lines.append(f"# {len(warnings)} item(s) need a look:")
        lines += [f"# TODO(migrate): {_one_line(str(item))}" for item in warnings]
    else:
        lines.append("# Everything was mapped.")
    return "\n".join(lines) + "\n" + Config(migration.config).dump()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _plain(value: Any) -> Any:
    """Tuples as lists and str subclasses as str, so the YAML is plain."""
    if isinstance(value, dict):
        return {str(key) if isinstance(key, str) else key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value
