"""YAML/JSON configs: `_base_` inheritance, deep merge, `${...}` references, `--cfg-options`, custom imports."""

from .config import Config, load_config
from .custom_imports import import_custom_modules
from .merge import merge
from .overrides import apply_overrides, parse_override

__all__ = ["Config", "load_config", "import_custom_modules", "merge", "apply_overrides", "parse_override"]
