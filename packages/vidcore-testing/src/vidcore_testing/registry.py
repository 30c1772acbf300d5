"""A registry of its own for each test: the core's components, plus installed plugins only when asked for."""

from __future__ import annotations

from typing import Iterable

from vidcore.errors import PluginError
from vidcore.plugins import PluginManager
from vidcore.registry import Registry, normalize_dist

__all__ = ["isolated_registry"]


def isolated_registry(plugins: bool | Iterable[str] = False) -> Registry:
    """A new Registry holding the core's built-in components and the requested plugin distributions.

    `plugins=False`: no installed plugin. `plugins=True`: every installed plugin that VIDCORE_PLUGINS /
    VIDCORE_DISABLE_PLUGINS permit (one that fails is recorded in `registry.load_failures`).
    `plugins=["vidcore-foo", ...]`: exactly those distributions; a PluginError says which one is not
    installed or failed, so a test of a plugin never passes without the plugin.
    """
    if isinstance(plugins, str):
        plugins = [plugins]
    requested = [] if isinstance(plugins, bool) else [normalize_dist(name) for name in plugins]
    manager = PluginManager() if plugins is True else PluginManager(allow=requested, block=[])
    registry = Registry(loader=manager.register_into)
    registry.ensure_loaded()
    for name in requested:
        found = [info for info in manager.plugins.values()
                 if name in (normalize_dist(info.dist), normalize_dist(info.name))]
        if not found:
            raise PluginError(f"plugin distribution '{name}' is not installed (no 'vidcore' entry point names it)")
        problems = [info.failure_line() for info in found if info.failed]
        if problems:
            raise PluginError("requested plugin failed: " + "; ".join(problems))
    return registry
