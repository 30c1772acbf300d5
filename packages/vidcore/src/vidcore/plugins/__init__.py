"""Plugin manager: pluggy project `vidcore`, entry-point group `vidcore`, hookspecs and markers."""

from .deprecation import VidcoreDeprecationWarning, deprecation, warn_deprecated
from .discovery import PluginEntryPoint, scan_entry_points
from .manager import PluginInfo, PluginManager, Registrar, get_plugin_manager, reset_plugin_manager
from .markers import ENTRY_POINT_GROUP, PROJECT_NAME, hookimpl, hookspec

__all__ = [
    "ENTRY_POINT_GROUP",
    "PROJECT_NAME",
    "PluginEntryPoint",
    "PluginInfo",
    "PluginManager",
    "Registrar",
    "VidcoreDeprecationWarning",
    "deprecation",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "reset_plugin_manager",
    "scan_entry_points",
    "warn_deprecated",
]
