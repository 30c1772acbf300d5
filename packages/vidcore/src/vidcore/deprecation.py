"""The compatibility policy in code: a hook, hook argument or API is deprecated for one minor release, then removed.

Hookspecs use pluggy's warnings, which fire when a plugin that implements the deprecated thing is
registered (and so show up in the plugin's own test suite):

    @hookspec(warn_on_impl=deprecation("vidcore_old_hook", since="0.3", instead="implement vidcore_new_hook"))
    @hookspec(warn_on_impl_args={"cfg": deprecation("vidcore_configure(cfg)", since="0.3", instead="...")})

(`warn_on_impl_args` needs pluggy >= 1.5.) Core functions that plugins call use `warn_deprecated`.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Callable

__all__ = ["VidcoreDeprecationWarning", "deprecation", "moved_module", "removal_version", "warn_deprecated"]


class VidcoreDeprecationWarning(DeprecationWarning):
    """Something a plugin uses is deprecated; it keeps working until `removed_in` (the next minor release)."""

    since: str = ""
    removed_in: str = ""


def removal_version(since: str) -> str:
    """The release that removes what release `since` deprecates: the next minor ('0.3' or '0.3.2' -> '0.4')."""
    match = re.match(r"(\d+)\.(\d+)", since)
    if not match:
        raise ValueError(f"expected a version such as '0.3', got {since!r}")
    return f"{match.group(1)}.{int(match.group(2)) + 1}"


def deprecation(what: str, *, since: str, instead: str | None = None) -> VidcoreDeprecationWarning:
    """The warning that `what` is deprecated since vidcore `since` and is removed in the next minor release."""
    removed_in = removal_version(since)
    message = f"{what} is deprecated since vidcore {since} and will be removed in vidcore {removed_in}"
    warning = VidcoreDeprecationWarning(f"{message}; {instead}" if instead else message)
    warning.since, warning.removed_in = since, removed_in
    return warning


def warn_deprecated(what: str, *, since: str, instead: str | None = None, stacklevel: int = 2) -> None:
    """Emit `deprecation(what, ...)`, attributed to the caller of the function that calls this."""
    warnings.warn(deprecation(what, since=since, instead=instead), stacklevel=stacklevel + 1)


def moved_module(old: str, new: str, *, since: str, missing: str = "") -> Callable[[str], object]:
    """The `__getattr__` of a module whose names moved to module `new` (maybe in another distribution, which
    `missing` names with its install line): forwards `old.NAME` to `new.NAME` with a deprecation warning."""

    def __getattr__(name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            module = importlib.import_module(new)
        except ImportError as exc:
            raise ImportError(f"{old} moved to {new}, in {missing or 'a module that cannot be imported'}") from exc
        warn_deprecated(f"{old}.{name}", since=since, instead=f"import it from {new}")
        return getattr(module, name)

    return __getattr__
