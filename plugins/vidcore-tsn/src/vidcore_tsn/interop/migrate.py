"""`vidcore migrate`: an mmaction2 Python config -> a vidcore YAML config, with every change reported."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config_mapping import drop_empty, map_config
from .diagnostics import Diagnostics, Reporter
from .py_config import load_py_config

__all__ = ["Migration", "migrate_config", "render_yaml"]


@dataclass
class Migration:
    """The vidcore config (plain data), the diagnostics of the migration and what became of each setting."""

    config: dict[str, Any]
    source: str
    diagnostics: Diagnostics
    settings: list[str] = field(default_factory=list)  # the mmaction2 config's top-level names
    helpers: list[str] = field(default_factory=list)  # those that were helper variables (inlined)

    def counts(self) -> dict[str, int]:
        """How many top-level settings were mapped, inlined (helpers) and dropped (whole, or values inside)."""
        dropped = [item for item in self.diagnostics.items if item.dropped]
        top_level = {item.key for item in dropped if item.key in self.settings}
        return {
            "settings": len(self.settings),
            "mapped": len(set(self.settings) - set(self.helpers) - top_level),
            "inlined": len(self.helpers),
            "dropped": len(top_level),
            "dropped_inside": len([item for item in dropped if item.key not in top_level]),
            "dropped_with_warning": len([item for item in dropped if item.level == "warning"]),
            "warnings": len(self.diagnostics.warnings),
        }

    def summary(self) -> str:
        """One line: settings mapped / inlined / dropped and warnings, as counted by `counts`."""
        counts = self.counts()
        text = (f"{counts['settings']} setting(s): {counts['mapped']} mapped, {counts['inlined']} helper variable(s) "
                f"inlined, {counts['dropped']} dropped; {counts['dropped_inside']} value(s) dropped inside mapped "
                f"settings; {counts['warnings']} warning(s)")
        if counts["dropped"] + counts["dropped_inside"] > counts["dropped_with_warning"]:
            text += " (the drops without a warning change nothing in vidcore: see -v)"
        return text


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
    return Migration(_plain(config), loaded.filename, diagnostics, list(loaded.data), list(reporter.helpers))


def render_yaml(migration: Migration) -> str:
    """The config as YAML, headed by comments listing the source and each warning as a TODO."""
    from vidcore.config import Config

    lines = [f"# Migrated from the mmaction2 config {migration.source} by `vidcore migrate`.",
             f"# {migration.summary()}."]
    warnings = migration.diagnostics.warnings
    if warnings:
        lines.append(f"# {len(warnings)} item(s) need a look:")
        lines += [f"# TODO(migrate): {_one_line(str(item))}" for item in warnings]
    elif any(item.dropped for item in migration.diagnostics.items):
        lines.append("# Nothing needs a look: what was dropped changes nothing in vidcore (`vidcore migrate -v`).")
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
