"""`${a.b.c}` references to other keys and `${env:NAME,default}` environment lookups."""

from __future__ import annotations

import copy
import os
import re
from typing import Any, Callable

import yaml

from .._keypath import KeyPart, format_key_path, parse_key_path
from ..errors import ConfigError
from ._safe_yaml import MAX_DEPTH, MAX_VALUES, depth_error, load_yaml, measure, values_error

_REFERENCE = re.compile(r"\$\{([^{}]*)\}")
_ESCAPED = "$${"

Locate = Callable[[tuple[KeyPart, ...]], str]


def resolve_references(data: dict, locate: Locate) -> tuple[dict, frozenset[str]]:
    """A copy of `data` with every `${...}` replaced (a string that is one whole reference takes its value's
    type), and the top-level keys the references used: the config's variables."""
    resolver = _Resolver(data, locate)
    resolved = resolver.resolve(data, ())
    return resolved, frozenset(resolver.referenced)


class _Resolver:
    def __init__(self, root: dict, locate: Locate) -> None:
        self.root = root
        self.locate = locate
        self.active: list[tuple[KeyPart, ...]] = []
        self.nesting = [0]  # for each target being resolved, how deep inside the outermost one it sits
        self.done: dict[tuple[KeyPart, ...], Any] = {}
        self.referenced: set[str] = set()
        self.sizes: dict[tuple[KeyPart, ...], tuple[int, int]] = {}  # measure() of each resolved target
        self.copied = 0  # values copied by references so far: bounded like YAML aliases

    def fail(self, path: tuple[KeyPart, ...], message: str) -> ConfigError:
        return ConfigError(f"{self.locate(path)}: {format_key_path(path)}: {message}")

    def resolve(self, value: Any, path: tuple[KeyPart, ...]) -> Any:
        if isinstance(value, dict):
            return {key: self.resolve(item, path + (key,)) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item, path + (index,)) for index, item in enumerate(value)]
        if isinstance(value, str) and "${" in value:
            return self.substitute(value, path)
        return value

    def substitute(self, text: str, path: tuple[KeyPart, ...]) -> Any:
        protected = text.replace(_ESCAPED, "\0")
        whole = _REFERENCE.fullmatch(protected)
        if whole:
            return self.evaluate(whole.group(1).strip(), path, whole_string=True)

        def replace(match: re.Match) -> str:
            value = self.evaluate(match.group(1).strip(), path, whole_string=False)
            if isinstance(value, (dict, list)):
                raise self.fail(path, f"${{{match.group(1)}}} is a {type(value).__name__}; "
                                      "only scalars can be embedded in a longer string")
            return "null" if value is None else str(value)

        return _REFERENCE.sub(replace, protected).replace("\0", "${")

    def evaluate(self, expression: str, path: tuple[KeyPart, ...], whole_string: bool) -> Any:
        if expression.startswith("env:"):
            name, has_default, default = expression[4:].partition(",")
            name = name.strip()
            raw = os.environ.get(name)
            if raw is None:
                if not has_default:
                    raise self.fail(path, f"environment variable {name} is not set and ${{{expression}}} "
                                          "has no default")
                raw = default.strip()
            return _yaml_scalar(raw, f"{self.locate(path)}: {format_key_path(path)}: ${{{expression}}}") \
                if whole_string else raw
        try:
            target = tuple(parse_key_path(expression))
        except ValueError:
            raise self.fail(path, f"${{{expression}}} is not a valid key reference") from None
        return self.lookup(target, path, expression)

    def lookup(self, target: tuple[KeyPart, ...], path: tuple[KeyPart, ...], expression: str) -> Any:
        if isinstance(target[0], str):
            self.referenced.add(target[0])
        if target not in self.done:
            self.done[target] = self.resolve_target(target, path, expression)
            self.sizes[target] = measure(self.done[target])
        values, depth = self.sizes[target]
        self.copied += values
        where = f"{self.locate(path)}: {format_key_path(path)}"
        if self.copied > MAX_VALUES:
            raise values_error(where, "${...} references expand the config")
        if len(path) + depth > MAX_DEPTH:
            raise depth_error(where, f"with ${{{expression}}} expanded, the config is nested")
        return copy.deepcopy(self.done[target])

    def resolve_target(self, target: tuple[KeyPart, ...], path: tuple[KeyPart, ...], expression: str) -> Any:
        if target in self.active:
            chain = " -> ".join(format_key_path(p) for p in self.active[self.active.index(target):] + [target])
            raise self.fail(path, f"circular reference: {chain}")
        # How deep this reference sits inside the value being resolved: the sum over the chain is the nesting
        # depth of the expanded value, bounded before it is built (and before Python's stack overflows).
        nesting = self.nesting[-1] + len(path) - len(self.active[-1] if self.active else ())
        if len(self.active) >= MAX_DEPTH or nesting > MAX_DEPTH:
            raise self.fail(path, f"${{{expression}}}: references within references nest more than {MAX_DEPTH} "
                                  "levels deep (the limit for a config)")
        node: Any = self.root
        for depth, part in enumerate(target):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and -len(node) <= part < len(node):
                node = node[part]
            else:
                missing = format_key_path(target[: depth + 1])
                raise self.fail(path, f"${{{expression}}} refers to '{missing}', which is not in the config")
        self.active.append(target)
        self.nesting.append(nesting)
        try:
            return self.resolve(node, target)
        finally:
            self.active.pop()
            self.nesting.pop()


def _yaml_scalar(text: str, source: str) -> Any:
    try:
        value = load_yaml(text, source, positions=False)
    except yaml.YAMLError:
        return text
    return value if not isinstance(value, (dict, list)) or text.strip()[:1] in "[{" else text
