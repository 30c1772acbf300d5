"""Deep merge of a child config into its base, with `_delete_: true` to replace instead of merge."""

from __future__ import annotations

import copy
from typing import Any

from .._keypath import KeyPart, format_key_path
from ..errors import ConfigError

DELETE_KEY = "_delete_"


def merge(base: Any, child: Any, *, path: tuple[KeyPart, ...] = (), filename: str = "<config>") -> Any:
    """Child dicts merge key by key into base dicts; any other child value (lists included) replaces."""
    if not isinstance(child, dict):
        return copy.deepcopy(child)
    if _wants_delete(child, path, filename) or not isinstance(base, dict):
        return strip_delete_markers(child, path=path, filename=filename)
    merged = dict(base)
    for key, value in child.items():
        if key == DELETE_KEY:
            continue
        merged[key] = merge(base[key], value, path=path + (key,), filename=filename) if key in base else (
            strip_delete_markers(value, path=path + (key,), filename=filename))
    return merged


def strip_delete_markers(value: Any, *, path: tuple[KeyPart, ...] = (), filename: str = "<config>") -> Any:
    """A copy of `value` without `_delete_` keys (they only mean something against a base)."""
    if isinstance(value, dict):
        _wants_delete(value, path, filename)
        return {k: strip_delete_markers(v, path=path + (k,), filename=filename)
                for k, v in value.items() if k != DELETE_KEY}
    if isinstance(value, list):
        return [strip_delete_markers(v, path=path + (i,), filename=filename) for i, v in enumerate(value)]
    return copy.deepcopy(value)


def _wants_delete(value: dict, path: tuple[KeyPart, ...], filename: str) -> bool:
    flag = value.get(DELETE_KEY, False)
    if not isinstance(flag, bool):
        where = format_key_path(path + (DELETE_KEY,))
        raise ConfigError(f"{filename}: {where}: expected true or false, got {flag!r}")
    return flag
