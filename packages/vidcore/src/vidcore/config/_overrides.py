"""`--cfg-options KEY=VALUE` overrides: dotted keys, list indices, YAML-typed values."""

from __future__ import annotations

from typing import Any, Iterable

import yaml

from .._keypath import KeyPart, format_key_path, parse_key_path
from ..errors import ConfigError
from ._safe_yaml import load_yaml

OVERRIDE_SOURCE = "--cfg-options"


def parse_override(option: str) -> tuple[list[KeyPart], Any]:
    """`a.b[2].c=[1, 2]` -> (['a', 'b', 2, 'c'], [1, 2])."""
    key, separator, raw = option.partition("=")
    if not separator or not key.strip():
        raise ConfigError(f"{OVERRIDE_SOURCE}: {option!r} is not of the form KEY=VALUE "
                          "(e.g. optim_wrapper.optimizer.lr=0.01)")
    try:
        path = parse_key_path(key.strip())
    except ValueError as exc:
        raise ConfigError(f"{OVERRIDE_SOURCE}: {option!r}: {exc}") from None
    try:
        value = load_yaml(raw, f"{OVERRIDE_SOURCE}: {option!r}", positions=False) if raw.strip() else None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{OVERRIDE_SOURCE}: {option!r}: value is not valid YAML: {problem}") from None
    if isinstance(value, str):
        try:  # YAML 1.1 reads `1e-3` as a string; users mean a number
            value = float(value) if value.strip().lower() not in ("nan", "inf", "-inf", "infinity") else value
        except ValueError:
            pass
    return path, value


def apply_overrides(data: dict, options: Iterable[str], sources: dict | None = None) -> None:
    """Set each override in `data` (in place). Missing dict keys are created; list indices must exist."""
    for option in options:
        path, value = parse_override(option)
        node: Any = data
        for depth, part in enumerate(path[:-1]):
            node = _step(node, part, path[: depth + 1], option, create=True)
        last = path[-1]
        if isinstance(node, list):
            _check_index(node, last, path, option)
        elif not isinstance(node, dict):
            raise ConfigError(f"{OVERRIDE_SOURCE}: {option!r}: '{format_key_path(path[:-1])}' is a "
                              f"{type(node).__name__}, not a mapping or list")
        node[last] = value
        if sources is not None:
            sources[tuple(path)] = OVERRIDE_SOURCE


def _step(node: Any, part: KeyPart, path: list[KeyPart], option: str, create: bool) -> Any:
    if isinstance(node, dict):
        if part not in node or node[part] is None:
            node[part] = {}
        return node[part]
    if isinstance(node, list):
        _check_index(node, part, path, option)
        return node[part]  # type: ignore[index]
    raise ConfigError(f"{OVERRIDE_SOURCE}: {option!r}: '{format_key_path(path[:-1])}' is a "
                      f"{type(node).__name__}, not a mapping or list")


def _check_index(node: list, part: KeyPart, path: list[KeyPart], option: str) -> None:
    if not isinstance(part, int):
        raise ConfigError(f"{OVERRIDE_SOURCE}: {option!r}: '{format_key_path(path[:-1])}' is a list; "
                          f"use an index instead of '{part}'")
    if not -len(node) <= part < len(node):
        raise ConfigError(f"{OVERRIDE_SOURCE}: {option!r}: index {part} is out of range for "
                          f"'{format_key_path(path[:-1])}' ({len(node)} items)")
