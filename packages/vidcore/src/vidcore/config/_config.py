"""`Config`: a resolved config (plain data), where each key came from, and its YAML dump."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import yaml

from .._keypath import KeyPart, parse_key_path
from ..errors import ConfigError
from ._interpolation import resolve_references
from ._loader import file_problem, load_with_bases
from ._merge import strip_delete_markers
from ._overrides import apply_overrides


class _Dumper(yaml.SafeDumper):
    """Block style for mappings, inline lists of scalars (`scale: [-1, 256]`), tuples as lists."""

    def represent_sequence(self, tag, sequence, flow_style=None):  # type: ignore[override]
        flat = all(not isinstance(item, (dict, list, tuple)) for item in sequence)
        return super().represent_sequence(tag, sequence, flow_style=flat and len(sequence) <= 8)


_Dumper.add_representer(tuple, lambda dumper, value: dumper.represent_list(list(value)))


class Config(Mapping[str, Any]):
    """A fully resolved config: no `_base_`, no `${...}`, overrides applied. `variables` are the top-level keys
    that `${...}` references used (allowed although vidcore does not read them; see `config.keys`)."""

    def __init__(self, data: Mapping[str, Any], filename: str | None = None,
                 sources: dict[tuple[KeyPart, ...], str] | None = None, variables: Iterable[str] = ()) -> None:
        self._data = dict(data)
        self.filename = filename or "<config>"
        self._sources = dict(sources or {})
        self.variables = frozenset(variables)  # top-level keys that `${...}` references used

    def with_data(self, data: Mapping[str, Any]) -> Config:
        """A Config of `data` (this one's, adjusted) that keeps this one's file, key sources and variables."""
        return Config(data, self.filename, self._sources, self.variables)

    @classmethod
    def fromfile(cls, path: str | Path, cfg_options: Iterable[str] | None = None) -> Config:
        return load_config(path, cfg_options)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Config({self.filename!r}, keys={list(self._data)})"

    def select(self, key_path: str, default: Any = None) -> Any:
        """The value at a dotted key path such as `train_dataloader.dataset.pipeline[0].type`."""
        node: Any = self._data
        for part in parse_key_path(key_path):
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return default
        return node

    def to_dict(self) -> dict:
        """A deep copy of the data, safe to edit."""
        return copy.deepcopy(self._data)

    def locate(self, key_path: Iterable[KeyPart]) -> str:
        """The file (or `--cfg-options`) that set `key_path`, or the nearest enclosing key."""
        path = tuple(key_path)
        while path and path not in self._sources:
            path = path[:-1]
        return self._sources.get(path, self.filename)

    def dump(self, path: str | Path | None = None) -> str:
        """The config as YAML that loads back to equal data; written to `path` when given."""
        text = yaml.dump(self._data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def load_config(path: str | Path, cfg_options: Iterable[str] | None = None) -> Config:
    """Load a YAML/JSON config: resolve `_base_`, apply `--cfg-options`, then resolve `${...}` references."""
    file = Path(path)
    problem = file_problem(file)
    if problem:
        raise ConfigError(f"{file}: is a directory, not a config file" if problem == "is a directory"
                          else f"{file}: config file {problem}")
    data, sources = load_with_bases(file)
    data = strip_delete_markers(data, filename=str(file))
    apply_overrides(data, cfg_options or (), sources)
    config = Config(data, str(file.resolve()), sources)
    resolved, variables = resolve_references(data, lambda key_path: config.locate(key_path))
    return Config(resolved, config.filename, sources, variables)
