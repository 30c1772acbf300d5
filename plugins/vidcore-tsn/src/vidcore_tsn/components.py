"""Build a sub-component that arrives either built (from a config, by the registry) or as a config dict."""

from __future__ import annotations

from typing import Any, Mapping

from torch import nn

__all__ = ["build_module"]


def build_module(value: nn.Module | Mapping[str, Any] | None, key_path: str) -> nn.Module | None:
    """`value` itself when it is a module (or None); otherwise built as a `models` component."""
    if value is None or isinstance(value, nn.Module):
        return value
    from vidcore import default_registry

    return default_registry().build(dict(value), "models", key_path=(key_path,))
