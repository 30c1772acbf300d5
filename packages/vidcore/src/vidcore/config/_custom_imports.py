"""`custom_imports: {imports: [module, ...], allow_failed_imports: false}`: local modules that register eagerly."""

from __future__ import annotations

import importlib
import sys
import warnings
from typing import Any, Mapping

from ..errors import ConfigError


def import_custom_modules(cfg: Mapping[str, Any], filename: str = "<config>") -> list[str]:
    """Import exactly the modules the config names; return their names."""
    spec = cfg.get("custom_imports")
    if not spec:
        return []
    if isinstance(spec, (list, str)):
        spec = {"imports": spec}
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{filename}: custom_imports: expected a mapping with 'imports', got {spec!r}")
    modules = spec.get("imports", [])
    if isinstance(modules, str):
        modules = [modules]
    allow_failed = bool(spec.get("allow_failed_imports", False))
    imported = []
    if "" not in sys.path:
        sys.path.insert(0, "")  # modules next to where vidcore is run, as `python -m` would find them
    for index, module in enumerate(modules):
        if not isinstance(module, str):
            raise ConfigError(f"{filename}: custom_imports.imports[{index}]: expected a module name, got {module!r}")
        try:
            importlib.import_module(module)
        except Exception as exc:
            message = (f"{filename}: custom_imports.imports[{index}]: cannot import '{module}': "
                       f"{type(exc).__name__}: {exc}")
            if not allow_failed:
                raise ConfigError(message) from exc
            warnings.warn(message, stacklevel=2)
            continue
        imported.append(module)
    return imported
