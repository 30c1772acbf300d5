"""vidcore: a config-driven training engine for video understanding whose core knows nothing about video.

Public API (imported lazily, so `import vidcore` stays cheap and never imports torch):
`Config`, `load_config`, `Runner`, `Registry`, `default_registry`, `register`, `hookimpl`, `hookspec`, `cache_dir`,
and the error types `VidcoreError`, `ConfigError`, `RegistryError`, `BuildError`, `PluginError`, `CheckpointError`,
`DataError`.
"""

from __future__ import annotations

from .errors import BuildError, CheckpointError, ConfigError, DataError, PluginError, RegistryError, VidcoreError
from .lazy import lazy_getattr

__version__ = "0.1.0"

_LAZY = {
    "Config": "vidcore.config",
    "load_config": "vidcore.config",
    "Registry": "vidcore.registry",
    "default_registry": "vidcore.plugins",
    "register": "vidcore.plugins",
    "hookimpl": "vidcore.plugins.markers",
    "hookspec": "vidcore.plugins.markers",
    "Runner": "vidcore.runner",
    "cache_dir": "vidcore.cache",
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
