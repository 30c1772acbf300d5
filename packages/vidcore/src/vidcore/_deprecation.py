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
import sys
import warnings
from collections.abc import Callable
from importlib.machinery import ModuleSpec  # loaded with the interpreter, as is `types`: free at start-up
from types import ModuleType


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


class PrivatizedModuleFinder:
    """Finds `vidcore.a.b` where release `since` renamed that module to the private `vidcore.a._b`: gives the
    private module with a deprecation warning, so code written against the old paths keeps running.

    Sits last on `sys.meta_path`, so it is asked only about names no other finder has.
    """

    def __init__(self, package: str, *, since: str) -> None:
        self.package = package
        self.since = since

    @staticmethod
    def private_name(fullname: str) -> str:
        parent, _, name = fullname.rpartition(".")
        return f"{parent}._{name}"

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if not fullname.startswith(self.package + ".") or fullname.rpartition(".")[2].startswith("_"):
            return None
        import importlib.util

        try:
            if importlib.util.find_spec(self.private_name(fullname)) is None:
                return None
        except ImportError:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        private = self.private_name(spec.name)
        module = importlib.import_module(private)
        spec.loader_state = module.__spec__
        warn_deprecated(f"the module {spec.name}", since=self.since,
                        instead=f"it is private now ({private}); import the public names of "
                                f"{spec.name.rpartition('.')[0]} instead (docs/api.md)", stacklevel=2)
        return module

    def exec_module(self, module: ModuleType) -> None:
        # the import system gave the module the alias's spec: give it back its own
        module.__spec__ = module.__spec__.loader_state


def add_privatized_module_finder(package: str, *, since: str) -> None:
    """Let `package`'s modules that `since` made private still import under their old names (once per process)."""
    if not any(isinstance(finder, PrivatizedModuleFinder) and finder.package == package for finder in sys.meta_path):
        sys.meta_path.append(PrivatizedModuleFinder(package, since=since))
