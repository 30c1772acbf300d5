"""vidcore: a config-driven training engine for video understanding whose core knows nothing about video.

Public API (imported lazily, so `import vidcore` stays cheap and never imports torch):
`Config`, `load_config`, `Runner`, `Registry`, `default_registry`, `register`, `hookimpl`, `hookspec`, `cache_dir`,
and the error types `VidcoreError`, `ConfigError`, `RegistryError`, `BuildError`, `PluginError`, `CheckpointError`,
`DataError`.
"""

from __future__ import annotations

from ._deprecation import add_privatized_module_finder
from ._lazy import lazy_getattr
from .errors import BuildError, CheckpointError, ConfigError, DataError, PluginError, RegistryError, VidcoreError

__version__ = "0.1.0"

_LAZY = {
    "Config": "vidcore.config",
    "load_config": "vidcore.config",
    "Registry": "vidcore.registry",
    "default_registry": "vidcore.plugins",
    "register": "vidcore.plugins",
    "hookimpl": "vidcore.plugins._markers",
    "hookspec": "vidcore.plugins._markers",
    "Runner": "vidcore.runner",
    "cache_dir": "vidcore._cache",
}

__all__ = [
    "__version__",
    "VidcoreError",
    "ConfigError",
    "RegistryError",
    "BuildError",
    "PluginError",
    "CheckpointError",
    "DataError",
    *_LAZY,
]


__getattr__ = lazy_getattr(__name__, _LAZY)

# vidcore 0.1 renamed the private modules with a leading underscore; the old names warn until 0.2
add_privatized_module_finder(__name__, since="0.1")
