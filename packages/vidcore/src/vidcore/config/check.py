"""Validate every component of a resolved config without constructing it (`vidcore config check`)."""

from __future__ import annotations

from ..errors import VidcoreError
from .config import Config
from .custom_imports import import_custom_modules
from .schema import iter_component_configs

__all__ = ["check_config"]


def check_config(cfg: Config) -> tuple[list[VidcoreError], int]:
    """All problems found (not just the first), and how many component configs were checked."""
    from ..plugins import default_registry
    from ..plugins.manager import get_plugin_manager
    from ..registry import validate

    errors: list[VidcoreError] = []
    try:
        import_custom_modules(cfg, cfg.filename)
        get_plugin_manager().configure(cfg.to_dict())
    except VidcoreError as exc:
        errors.append(exc)
    registry = default_registry()
    checked = 0
    for slot, key_path, item in iter_component_configs(cfg):
        checked += 1
        errors += validate(registry, item, slot.kind, injected=slot.injected, key_path=key_path, locate=cfg.locate)
    return errors, checked
