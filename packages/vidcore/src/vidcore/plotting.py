"""Deprecated: the training-curve plots moved to the plugin distribution vidcore-plot (`import vidcore_plot`)."""

from .plugins.deprecation import moved_module

__getattr__ = moved_module("vidcore.plotting", "vidcore_plot.plotting", "vidcore-plot", since="0.1")
