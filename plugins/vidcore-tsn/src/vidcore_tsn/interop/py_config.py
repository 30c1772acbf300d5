"""Load an mmaction2 Python config and its `_base_` chain into plain data, without executing it.

Follows mmengine's rules: `_base_` files are merged first (a key may come from one base only), then the
file's own names merge into them (dicts key by key, `_delete_=True` replaces, other values replace);
`{{_base_.x}}` and `_base_.x` read the merged bases; `{{fileDirname}}` and friends are substituted;
pure-Python configs (`with read_base(): from .base import *`) bind the bases' names instead.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from vidcore.config import merge
from vidcore.errors import ConfigError

from .ast_eval import BASE_NAME, ImportedName, SafeEvaluator, Skipped, Unsupported
from .diagnostics import Diagnostics

__all__ = ["PyConfig", "load_py_config"]

_BASE_VAR = re.compile(r"\{\{\s*" + BASE_NAME + r"\.([\w.]+)\s*\}\}")
_PREDEFINED = re.compile(r"\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}")
_PACKAGE_SEPARATOR = "::"


@dataclass
class PyConfig:
    """An mmaction2 config as data: merged top-level keys, and what is known about where they came from."""

    data: dict[str, Any]
    filename: str
    diagnostics: Diagnostics
    files: list[str] = field(default_factory=list)
    referenced: set[str] = field(default_factory=set)  # names another value used (helper variables)
    origins: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (file, line) that last set it


def load_py_config(path: str | Path, diagnostics: Diagnostics | None = None) -> PyConfig:
    """Read `path` (and its bases) into a `PyConfig`; unsupported code is reported in `diagnostics`."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"{file}: config file not found")
    result = PyConfig({}, str(file), diagnostics if diagnostics is not None else Diagnostics())
    result.data = _load(file.resolve(), (), result)
    return result


def _load(path: Path, chain: tuple[Path, ...], state: PyConfig) -> dict[str, Any]:
    """The merged data of `path` over its `_base_` files."""
    if path in chain:
        cycle = " -> ".join(str(p) for p in chain[chain.index(path):] + (path,))
        raise ConfigError(f"{path}: circular {BASE_NAME}: {cycle}")
    state.files.append(str(path))
    if path.suffix.lower() != ".py":
        return _read_data_file(path)
    module = _parse(path)
    base_refs = _base_references(module, path, state.diagnostics)
    merged_base: dict[str, Any] = {}
    owner: dict[str, Path] = {}
    for reference, line in base_refs:
        base_path = _resolve_base(reference, path, line)
        base_data = _load(base_path, chain + (path,), state)
        for key in base_data:
            if key in owner:
                raise ConfigError(f"{path}:{line}: {BASE_NAME}: key '{key}' is defined in both {owner[key]} and "
                                  f"{base_path}; mmengine allows a key in one base only")
            owner[key] = base_path
        merged_base.update(base_data)

    evaluator = SafeEvaluator(str(path), state.diagnostics, base=merged_base,
                              import_base=lambda node: _import_base(node, path, chain, state))
    namespace = evaluator.run(module)
    state.referenced |= evaluator.referenced
    own: dict[str, Any] = {}
    for name, value in namespace.items():
        if name == BASE_NAME or name.startswith("__") or name in evaluator.not_config:
            continue
        if isinstance(value, (ImportedName, Skipped)):
            continue
        own[name] = value
    for name, line in _assignment_lines(module).items():
        if name in own:
            state.origins[name] = (str(path), line)
    return merge(merged_base, copy.deepcopy(own), filename=str(path))


def _parse(path: Path) -> ast.Module:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    text = _substitute_predefined(text, path)
    text = _BASE_VAR.sub(lambda match: _base_expression(match.group(1)), text)
    try:
        return ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: Python syntax error: {exc.msg}") from None


def _base_expression(dotted: str) -> str:
    """`{{_base_.a.0.b}}` as the expression `_base_.a[0].b` (evaluated like any other `_base_` access)."""
    text = BASE_NAME
    for part in dotted.strip(".").split("."):
        text += f"[{part}]" if part.isdigit() else f".{part}"
    return text


def _substitute_predefined(text: str, path: Path) -> str:
    values = {
        "fileDirname": str(path.parent), "fileBasename": path.name,
        "fileBasenameNoExtension": path.stem, "fileExtname": path.suffix,
    }
    return _PREDEFINED.sub(lambda match: values[match.group(1)].replace("\\", "/"), text)


def _base_references(module: ast.Module, path: Path, diagnostics: Diagnostics) -> list[tuple[str, int]]:
    """The `_base_ = ...` entries of a module, evaluated as literals, with their line."""
    references: list[tuple[str, int]] = []
    for statement in module.body:
        if not (isinstance(statement, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == BASE_NAME for t in statement.targets)):
            continue
        try:
            value = SafeEvaluator(str(path), diagnostics).eval(statement.value, BASE_NAME)
        except Unsupported as exc:
            raise ConfigError(f"{path}:{statement.lineno}: {BASE_NAME}: {exc.reason}; "
                              "expected a path or a list of paths") from None
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
            raise ConfigError(f"{path}:{statement.lineno}: {BASE_NAME}: expected a path or a list of paths, "
                              f"got {value!r}")
        references = [(v, statement.lineno) for v in values]
    return references


def _resolve_base(reference: str, including: Path, line: int) -> Path:
    if _PACKAGE_SEPARATOR in reference:
        package, _, inner = reference.partition(_PACKAGE_SEPARATOR)
        root = _package_configs(package, including, line)
        path = root / inner
    else:
        path = Path(reference).expanduser()
        path = path if path.is_absolute() else including.parent / path
    path = path.resolve()
    if not path.is_file():
        raise ConfigError(f"{including}:{line}: {BASE_NAME}: base config not found: {path}")
    return path


def _package_configs(package: str, including: Path, line: int) -> Path:
    """The config folder of an installed OpenMMLab package (`mmaction::` bases)."""
    module = {"mmaction2": "mmaction"}.get(package, package)
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"{including}:{line}: {BASE_NAME}: '{package}::' refers to the installed package "
                          f"'{module}', which is not installed; copy the base config next to this file instead")
    root = Path(list(spec.submodule_search_locations)[0])
    return root / ".mim" / "configs" if (root / ".mim" / "configs").is_dir() else root / "configs"


def _import_base(node: ast.ImportFrom, path: Path, chain: tuple[Path, ...], state: PyConfig) -> dict[str, Any]:
    """Names of the base module imported inside `with read_base():` (evaluated safely, never imported)."""
    parts = (node.module or "").split(".") if node.module else []
    if node.level:
        folder = path.parent
        for _ in range(node.level - 1):
            folder = folder.parent
    else:
        if not parts:
            raise ConfigError(f"{path}:{node.lineno}: cannot resolve base import")
        folder = _package_configs(parts[0], path, node.lineno).parent
        parts = parts[1:]
    target = folder.joinpath(*parts).with_suffix(".py") if parts else folder / "__init__.py"
    if not target.is_file():
        raise ConfigError(f"{path}:{node.lineno}: read_base(): base config not found: {target}")
    return copy.deepcopy(_load(target.resolve(), chain + (path,), state))


def _read_data_file(path: Path) -> dict[str, Any]:
    """A YAML/JSON base of an mmaction2 config (mmengine allows mixing formats)."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read base config: {exc}") from None
    if BASE_NAME in (data or {}):
        raise ConfigError(f"{path}: {BASE_NAME} inside a YAML/JSON base of a Python config is not supported")
    return data or {}


def _assignment_lines(module: ast.Module) -> dict[str, int]:
    """Top-level name -> line of its last assignment."""
    lines: dict[str, int] = {}
    for statement in module.body:
        targets: list[ast.expr] = []
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
            targets = [statement.target]
        for target in targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    lines[node.id] = statement.lineno
    return lines
