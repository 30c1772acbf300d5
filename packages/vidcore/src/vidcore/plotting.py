"""Deprecated: the training-curve plots moved to the plugin distribution vidcore-plot (`import vidcore_plot`)."""

from ._deprecation import moved_module
from .registry._hints import install_command

__getattr__ = moved_module("vidcore.plotting", "vidcore_plot.plotting", since="0.1",
                           missing=f"the distribution vidcore-plot: {install_command('vidcore-plot')}")
