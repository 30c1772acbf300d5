"""YAML/JSON configs: `_base_` inheritance, deep merge, `${...}` references, `--cfg-options`, custom imports,
and `check_config` (what `vidcore config check` runs; imported on first use, as it needs the registry)."""

from ..keypath import KeyPart, format_key_path, parse_key_path
from ..lazy import lazy_getattr
from .config import Config, load_config
from .custom_imports import import_custom_modules
from .merge import merge
from .overrides import apply_overrides, parse_override

__all__ = ["Config", "load_config", "import_custom_modules", "merge", "apply_overrides", "parse_override",
           "check_config",
           "KeyPart", "format_key_path", "parse_key_path", "ComponentSlot", "COMPONENT_SLOTS",
           "iter_component_configs"]

__getattr__ = lazy_getattr(__name__, {"check_config": ".check", "ComponentSlot": ".schema",
                                      "COMPONENT_SLOTS": ".schema", "iter_component_configs": ".schema"})
