"""Deprecated: vidcore's test kit moved to the distribution vidcore-testing (`import vidcore_testing`)."""

from ._deprecation import moved_module
from .registry._hints import install_command

__getattr__ = moved_module("vidcore.testing", "vidcore_testing", since="0.1",
                           missing=f"the distribution vidcore-testing: {install_command('vidcore-testing')}")
