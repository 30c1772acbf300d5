"""Component registry: kinds, lazy and eager registration, building from `type:` configs."""

from .._deprecation import moved_module
from ._builder import build, check_by_constructing, is_component_config, validate
from ._hints import FIRST_PARTY_PATHS, close_matches, install_command
from ._registry import KINDS, Entry, Registry, normalize_dist

__all__ = [
    "KINDS",
    "Entry",
    "Registry",
    "FIRST_PARTY_PATHS",
    "build",
    "check_by_constructing",
    "close_matches",
    "install_command",
    "is_component_config",
    "normalize_dist",
    "validate",
]

# The process-wide registry is filled by the plugin manager, a layer above this one: it lives in vidcore.plugins.
_MOVED = ("default_registry", "register", "reset_default_registry", "set_default_registry")
_moved = moved_module("vidcore.registry", "vidcore.plugins", since="0.1")


def __getattr__(name: str) -> object:
    if name in _MOVED:
        return _moved(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
