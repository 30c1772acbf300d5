"""Component registry: kinds, lazy and eager registration, building from `type:` configs."""

from .builder import build, is_component_config, validate
from .default import default_registry, register, reset_default_registry, set_default_registry
from .hints import FIRST_PARTY_PATHS, close_matches, install_command
from .registry import KINDS, Entry, Registry, normalize_dist

__all__ = [
    "KINDS",
    "Entry",
    "Registry",
    "FIRST_PARTY_PATHS",
    "build",
    "close_matches",
    "default_registry",
    "install_command",
    "is_component_config",
    "normalize_dist",
    "register",
    "reset_default_registry",
    "set_default_registry",
    "validate",
]
