"""The process-wide registry that configs build from, filled by installed plugins on first use."""

from __future__ import annotations

from typing import Any, Callable

from ..registry._registry import Registry

_DEFAULT: Registry | None = None


def _load_installed_plugins(registry: Registry) -> None:
    from ._manager import get_plugin_manager

    get_plugin_manager().register_into(registry)


def default_registry() -> Registry:
    """The shared registry; installed plugins register into it the first time a component is looked up."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Registry(loader=_load_installed_plugins)
    return _DEFAULT


def reset_default_registry() -> None:
    """Forget the shared registry (tests, and `--strict-plugins` re-runs) so plugins register afresh."""
    global _DEFAULT
    _DEFAULT = None


def set_default_registry(registry: Registry | None) -> Registry | None:
    """Install `registry` as the shared registry (None: a fresh one on next use); returns the previous one, so
    that a test can put it back."""
    global _DEFAULT
    previous, _DEFAULT = _DEFAULT, registry
    return previous


def register(kind: str, name: str | None = None, *, force: bool = False) -> Callable[[Any], Any]:
    """Eager registration decorator for local modules (`custom_imports`) and scripts.

        @vidcore.register("transforms")
        class MyCrop: ...
    """
    return default_registry().component(kind, name, force=force)
