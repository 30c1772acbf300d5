"""Project templates behind `vidcore new-plugin`: a complete third-party plugin distribution."""

from .new_plugin import PluginNames, plugin_names, render_plugin, vidcore_requirement

__all__ = ["PluginNames", "plugin_names", "render_plugin", "vidcore_requirement"]
