"""Exception types. A `VidcoreError` is a user error: the CLI prints its one-line message and exits 2."""

from __future__ import annotations

__all__ = [
    "VidcoreError",
    "ConfigError",
    "RegistryError",
    "BuildError",
    "PluginError",
    "CheckpointError",
    "DataError",
]


class VidcoreError(Exception):
    """A problem with the user's input (config, files, plugins) rather than a bug in vidcore."""


class ConfigError(VidcoreError):
    """A config file cannot be read, merged, interpolated or overridden."""


class RegistryError(VidcoreError):
    """A component name is unknown, ambiguous or registered twice."""


class BuildError(VidcoreError):
    """A component could not be constructed from its config."""


class PluginError(VidcoreError):
    """A plugin distribution failed to load (fatal only with --strict-plugins)."""


class CheckpointError(VidcoreError):
    """A checkpoint file is missing, corrupt or does not fit the model."""


class DataError(VidcoreError):
    """A dataset, annotation file or media file is missing or malformed."""
