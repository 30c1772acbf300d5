"""Deprecated: vidcore's test kit moved to the distribution vidcore-testing (`import vidcore_testing`)."""

from .plugins.deprecation import moved_module

__getattr__ = moved_module("vidcore.testing", "vidcore_testing", "vidcore-testing", since="0.1")
