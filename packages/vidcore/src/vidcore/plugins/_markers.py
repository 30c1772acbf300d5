"""pluggy markers for the `vidcore` project: decorate hook implementations with `vidcore.hookimpl`."""

import pluggy

PROJECT_NAME = "vidcore"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
