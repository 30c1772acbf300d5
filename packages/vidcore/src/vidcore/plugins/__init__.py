"""Plugin manager: pluggy project `vidcore`, entry-point group `vidcore`, hookspecs and markers, and
`lazy_getattr`, which plugin packages use to export their names without importing them.

Names are imported on first use, so that reading the entry points (`scan_entry_points`) does not import
pluggy: `vidcore --help` needs only the former.
"""

from __future__ import annotations

# Imported now: the function `deprecation` shares its module's name, which a later import would rebind.
from .._deprecation import VidcoreDeprecationWarning, deprecation, warn_deprecated
from .._lazy import lazy_getattr

_LAZY = {
    "ENTRY_POINT_GROUP": "._discovery",
    "PROJECT_NAME": "._markers",
    "PluginEntryPoint": "._discovery",
    "PluginInfo": "._manager",
    "PluginManager": "._manager",
    "default_registry": "._default",
    "register": "._default",
    "reset_default_registry": "._default",
    "set_default_registry": "._default",
    "Registrar": "._manager",
    "get_plugin_manager": "._manager",
    "hookimpl": "._markers",
    "hookspec": "._markers",
    "reset_plugin_manager": "._manager",
    "scan_entry_points": "._discovery",
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
