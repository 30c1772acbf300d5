"""Module attributes imported on first use, so that importing a package stays cheap: `vidcore`, `vidcore.plugins`
and plugin packages use it for their public names."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_getattr(package: str, targets: Mapping[str, str]) -> Callable[[str], object]:
    """A module-level `__getattr__` for `package`: `targets` maps an attribute name to the module that
    defines it (absolute, or relative to `package` with a leading dot)."""

    def __getattr__(name: str) -> object:
        if name in targets:
            return getattr(importlib.import_module(targets[name], package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
