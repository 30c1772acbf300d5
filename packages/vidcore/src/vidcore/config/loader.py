"""Read YAML/JSON config files (never executing code) and resolve their `_base_` chains."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from ..errors import ConfigError
from ..keypath import KeyPart
from .merge import merge

__all__ = ["BASE_KEY", "PACKAGE_SCHEME", "read_config_file", "load_with_bases", "resolve_config_path"]

BASE_KEY = "_base_"
PACKAGE_SCHEME = "pkg://"
INHERITED_MARK = " (inherited from "

Sources = dict[tuple[KeyPart, ...], str]


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key written twice in one mapping (PyYAML would silently keep the last)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice in this mapping", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_config_file(path: Path) -> dict:
    """Parse one YAML or JSON file into a dict; errors carry file:line:column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    if path.suffix.lower() == ".py":
        raise ConfigError(f"{path}: Python configs are not executed; convert it with `vidcore migrate {path}`")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}:{exc.colno}: JSON syntax error: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: YAML syntax error: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level, got {type(data).__name__}")
    return data


def resolve_config_path(reference: str, relative_to: Path) -> Path:
    """A `_base_` entry as a path: relative to the including file, or `pkg://module/path` inside a package."""
    if reference.startswith(PACKAGE_SCHEME):
        module, _, inner = reference[len(PACKAGE_SCHEME):].partition("/")
        spec = importlib.util.find_spec(module) if module else None
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError(f"{relative_to}: {BASE_KEY}: package '{module}' of {reference} is not installed")
        return Path(list(spec.submodule_search_locations)[0]) / inner
    path = Path(os.path.expanduser(reference))
    return path if path.is_absolute() else relative_to.parent / path


def _record_sources(value: Any, path: tuple[KeyPart, ...], filename: str, sources: Sources) -> None:
    sources[path] = filename
    if isinstance(value, dict):
        for key, item in value.items():
            _record_sources(item, path + (key,), filename, sources)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _record_sources(item, path + (index,), filename, sources)


def _as_inherited(sources: Sources, reference: str, base_path: Path, including: Path) -> Sources:
    """Keys from a packaged base (`pkg://...`, a file inside site-packages) are named after the user's file
    that inherits them, with the packaged file as `pkg://` reference: `my.yaml (inherited from pkg://m/x.yaml)`."""
    package_root = base_path.resolve()
    for _ in PurePosixPath(reference[len(PACKAGE_SCHEME):]).parts[1:]:
        package_root = package_root.parent
    module = reference[len(PACKAGE_SCHEME):].partition("/")[0]
    renamed: Sources = {}
    for key_path, source in sources.items():
        if INHERITED_MARK not in source and Path(source).is_relative_to(package_root):
            inner = Path(source).relative_to(package_root).as_posix()
            source = f"{including}{INHERITED_MARK}{PACKAGE_SCHEME}{module}/{inner})"
        renamed[key_path] = source
    return renamed


def load_with_bases(path: Path, _chain: tuple[Path, ...] = ()) -> tuple[dict, Sources]:
    """The file merged over its `_base_` files, and which file each key path came from."""
    path = path.resolve()
    if path in _chain:
        cycle = " -> ".join(str(p) for p in _chain[_chain.index(path):] + (path,))
        raise ConfigError(f"{path}: circular {BASE_KEY}: {cycle}")
    data = read_config_file(path)
    bases = data.pop(BASE_KEY, [])
    if isinstance(bases, str):
        bases = [bases]
    if not isinstance(bases, list) or not all(isinstance(b, str) for b in bases):
        raise ConfigError(f"{path}: {BASE_KEY}: expected a path or a list of paths, got {bases!r}")

    merged: dict = {}
    sources: Sources = {}
    owner_of_key: dict[str, Path] = {}
    for reference in bases:
        base_path = resolve_config_path(reference, path)
        if not base_path.is_file():
            raise ConfigError(f"{path}: {BASE_KEY}: base config not found: {base_path}")
        base_data, base_sources = load_with_bases(base_path, _chain + (path,))
        if reference.startswith(PACKAGE_SCHEME):
            base_sources = _as_inherited(base_sources, reference, base_path, path)
        for key in base_data:
            if key in owner_of_key:
                raise ConfigError(
                    f"{path}: {BASE_KEY}: key '{key}' is defined in both {owner_of_key[key]} and {base_path}; "
                    "a key may come from one base only")
            owner_of_key[key] = base_path
        merged.update(base_data)
        sources.update(base_sources)

    result = merge(merged, data, filename=str(path))
    sources = {key_path: file for key_path, file in sources.items() if _exists(result, key_path)}
    _record_sources(data, (), str(path), sources)
    sources[()] = str(path)
    return result, sources


def _exists(data: Any, key_path: tuple[KeyPart, ...]) -> bool:
    node = data
    for part in key_path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return False
    return True
