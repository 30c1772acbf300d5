"""Read YAML/JSON config files (never executing code) and resolve their `_base_` chains."""

from __future__ import annotations

import importlib.util
import json
import os
import stat
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .._keypath import KeyPart
from ..errors import ConfigError
from ._merge import merge
from ._safe_yaml import MAX_FILE_BYTES, load_json, load_yaml

BASE_KEY = "_base_"
PACKAGE_SCHEME = "pkg://"
INHERITED_MARK = " (inherited from "

Sources = dict[tuple[KeyPart, ...], str]


def read_config_file(path: Path) -> dict:
    """Parse one YAML or JSON file into a dict; errors carry file:line:column. The file must be a regular
    file of at most MAX_FILE_BYTES, and its content within the limits of `safe_yaml`."""
    if path.suffix.lower() == ".py":
        raise ConfigError(f"{path}: Python configs are not executed; convert it with `vidcore migrate {path}`")
    text = _read_text(path)
    try:
        if path.suffix.lower() == ".json":
            data = load_json(text, str(path))
        else:
            data = load_yaml(text, str(path))
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


def file_problem(path: Path) -> str | None:
    """Why `path` cannot be a config file ("not found", "is a directory", "is not a regular file (a
    character device)", ...), or None for a regular file. `/dev/zero` would never end, a FIFO would block."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "not found"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory"
    kinds = [(stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a pipe"),
             (stat.S_ISSOCK, "a socket")]
    return f"is not a regular file ({next((name for test, name in kinds if test(mode)), 'a special file')})"


def _read_text(path: Path) -> str:
    problem = file_problem(path)
    if problem:
        raise ConfigError(f"{path}: config file {problem}")
    try:
        with open(path, "rb") as file:
            content = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from None
    if len(content) > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: config file is larger than {MAX_FILE_BYTES} bytes "
                          f"({path.stat().st_size} bytes; the limit for a config)")
    try:
        return content.decode("utf-8-sig")  # a byte-order mark (Windows editors) is not part of the text
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read config file: not UTF-8 text ({exc.reason} at byte {exc.start})"
                          ) from None


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
        problem = file_problem(base_path)
        if problem:
            raise ConfigError(f"{path}: {BASE_KEY}: base config {problem}: {base_path}")
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
