"""YAML/JSON configs: `_base_` inheritance, deep merge, `${...}` references, `--cfg-options`, custom imports, and
where components live in a config. (`check_config` moved to `vidcore.runner`, which builds what it checks.)"""

from .._deprecation import moved_module
from .._keypath import KeyPart, format_key_path, parse_key_path
from .._lazy import lazy_getattr
from ._config import Config, load_config
from ._custom_imports import import_custom_modules
from ._merge import merge
from ._overrides import apply_overrides, parse_override

__all__ = ["Config", "load_config", "import_custom_modules", "merge", "apply_overrides", "parse_override",
           "KeyPart", "format_key_path", "parse_key_path", "ComponentSlot", "COMPONENT_SLOTS",
           "iter_component_configs"]

_public = lazy_getattr(__name__, {"ComponentSlot": "._schema", "COMPONENT_SLOTS": "._schema",
                                  "iter_component_configs": "._schema"})
_moved = moved_module("vidcore.config", "vidcore.runner", since="0.1")


def __getattr__(name: str) -> object:
    return _moved(name) if name == "check_config" else _public(name)
