"""pluggy markers for the `vidcore` project: decorate hook implementations with `vidcore.hookimpl`."""

import pluggy

from .discovery import ENTRY_POINT_GROUP

__all__ = ["PROJECT_NAME", "ENTRY_POINT_GROUP", "hookspec", "hookimpl"]

PROJECT_NAME = "vidcore"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
