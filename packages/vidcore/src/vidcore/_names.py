"""Names of importable things, shared by the registry and plugin discovery: `module:attr` import targets and
distribution names. Standard library only, so that `vidcore --help` can use it."""

from __future__ import annotations

import importlib
import re

_SEPARATORS = re.compile(r"[-_.]+")


def normalize_dist(name: str) -> str:
    """Distribution names compare like pip compares them (PEP 503): case-insensitive, runs of `-`, `_` and `.`
    alike."""
    return _SEPARATORS.sub("-", name).lower()


def import_target(target: str) -> object:
    """The object `module.path:attr.path` names (`module.path` alone: the module), importing the module.

    Raises the module's own ImportError (or whatever its import raised), or AttributeError naming the
    missing attribute.
    """
    module_name, _, attribute = target.partition(":")
    obj: object = importlib.import_module(module_name.strip())
    for part in attribute.strip().split(".") if attribute.strip() else ():
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AttributeError(f"{module_name.strip()} has no attribute {attribute.strip()!r}") from None
    return obj
