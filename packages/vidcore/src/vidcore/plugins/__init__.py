"""Plugin manager: pluggy project `vidcore`, entry-point group `vidcore`, hookspecs and markers, and
`lazy_getattr`, which plugin packages use to export their names without importing them.

Names are imported on first use, so that reading the entry points (`scan_entry_points`) does not import
pluggy: `vidcore --help` needs only the former.
"""

from __future__ import annotations

# Imported now: the function `deprecation` shares its module's name, which a later import would rebind.
from ..deprecation import VidcoreDeprecationWarning, deprecation, warn_deprecated
from ..lazy import lazy_getattr

_LAZY = {
    "ENTRY_POINT_GROUP": ".discovery",
    "PROJECT_NAME": ".markers",
    "PluginEntryPoint": ".discovery",
    "PluginInfo": ".manager",
    "PluginManager": ".manager",
    "default_registry": ".default",
    "register": ".default",
    "reset_default_registry": ".default",
    "set_default_registry": ".default",
    "Registrar": ".manager",
    "get_plugin_manager": ".manager",
    "hookimpl": ".markers",
    "hookspec": ".markers",
    "reset_plugin_manager": ".manager",
    "scan_entry_points": ".discovery",
}

__all__ = [
    "ENTRY_POINT_GROUP",
    "lazy_getattr",
    "PROJECT_NAME",
    "PluginEntryPoint",
    "PluginInfo",
    "PluginManager",
    "Registrar",
    "VidcoreDeprecationWarning",
    "default_registry",
    "deprecation",
    "register",
    "reset_default_registry",
    "set_default_registry",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "reset_plugin_manager",
    "scan_entry_points",
    "warn_deprecated",
]


__getattr__ = lazy_getattr(__name__, _LAZY)
