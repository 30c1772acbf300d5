"""Parse config text (YAML or JSON) safely and within limits that keep loading bounded in time and memory.

A config is a few kilobytes of plain data. The limits below are far above any real config and far below
what makes loading hang or exhaust memory: a 350-byte YAML "billion laughs" (aliases of aliases) expands to
10^9 values, a 20,000-level nesting overflows Python's stack, a 5,000-digit integer exceeds Python's
integer-string limit. Each is refused with one line naming the source and the limit (docs/reliability.md).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from ..errors import ConfigError

MAX_FILE_BYTES = 1 << 20  # 1 MiB: PyYAML's pure-Python parser takes seconds for that (8.6 s on a loaded 2-core machine)
MAX_DEPTH = 100  # levels of nested mappings/lists, counted through aliases and references
MAX_VALUES = 200_000  # mappings, lists and scalars once aliases (and `${...}` references) are expanded
MAX_ALIASES = 10_000  # `*name` uses in one document
MAX_INTEGER_DIGITS = 100


def depth_error(source: str, how: str = "nested") -> ConfigError:
    return ConfigError(f"{source}: {how} more than {MAX_DEPTH} levels deep (the limit for a config)")


def values_error(source: str, how: str) -> ConfigError:
    return ConfigError(f"{source}: {how} to more than {MAX_VALUES} values (the limit for a config)")


def _integer_error(source: str, text: str) -> ConfigError:
    digits = len(text.lstrip("+-").replace("_", ""))
    return ConfigError(f"{source}: an integer of {digits} digits; the limit is {MAX_INTEGER_DIGITS}")


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key written twice in one mapping (PyYAML would silently keep the last)
    and stays within the limits: nesting depth while composing (before Python's stack would overflow),
    the number of aliases, the values and depth of the document with its aliases expanded (checked on the
    node graph, where an alias is a shared node, before anything is copied), and integer length."""

    def __init__(self, stream: str, source: str = "<yaml>", positions: bool = True) -> None:
        super().__init__(stream)
        self.source = source
        self.positions = positions
        self.depth = 0
        self.aliases = 0

    def where(self, mark: Any) -> str:
        if mark is None or not self.positions:
            return self.source
        return f"{self.source}:{mark.line + 1}:{mark.column + 1}"

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise ConfigError(f"{self.where(self.peek_event().start_mark)}: more than {MAX_ALIASES} YAML "
                                  "aliases (*name) in one document (the limit for a config)")
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise depth_error(self.where(self.peek_event().start_mark))
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def check_expansion(self, root: yaml.Node) -> None:
        """Count values and depth with every alias expanded, in time linear in the number of nodes: an
        alias's target was measured before it (anchors come first), so each node is walked once."""
        measured: dict[int, tuple[int, int]] = {}
        walking: set[int] = set()

        def walk(node: yaml.Node) -> tuple[int, int]:
            key = id(node)
            if key in measured:
                return measured[key]
            if key in walking:
                raise ConfigError(f"{self.where(node.start_mark)}: a YAML alias refers to the node that contains "
                                  "it (a recursive structure cannot be a config)")
            walking.add(key)
            if isinstance(node, yaml.MappingNode):
                children = [child for pair in node.value for child in pair]
            elif isinstance(node, yaml.SequenceNode):
                children = node.value
            else:
                children = []
            values, depth = 1, 1
            for child in children:
                child_values, child_depth = walk(child)
                values += child_values
                depth = max(depth, child_depth + 1)
                if values > MAX_VALUES:
                    raise values_error(self.where(node.start_mark), "YAML aliases expand this document")
            if depth > MAX_DEPTH:
                raise depth_error(self.where(node.start_mark), "with its YAML aliases expanded, this value is nested")
            walking.discard(key)
            measured[key] = (values, depth)
            return values, depth

        walk(root)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        text = str(node.value)
        if len(text.lstrip("+-").replace("_", "")) > MAX_INTEGER_DIGITS:
            raise _integer_error(self.where(node.start_mark), text)
        return super().construct_yaml_int(node)


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    written = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
    loader.flatten_mapping(node)  # puts the pairs of `<<: *base` merge keys first: written keys override them
    merged = len(node.value) - written
    mapping: dict = {}
    seen: set = set()
    for position, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=deep)
        if position >= merged:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice in this mapping", key_node.start_mark)
            seen.add(key)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)


def load_yaml(text: str, source: str, positions: bool = True) -> Any:
    """The YAML document in `text` as plain data. Syntax errors are `yaml.YAMLError`s (with marks); an
    exceeded limit is a ConfigError naming `source` (with line and column when `positions`) and the limit."""
    loader = StrictLoader(text, source, positions)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        loader.check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_json(text: str, source: str) -> Any:
    """The JSON document in `text`, within the same limits (`json.JSONDecodeError` for syntax errors)."""
    def parse_int(digits: str) -> int:
        if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
            raise _integer_error(source, digits)
        return int(digits)

    try:
        data = json.loads(text, parse_int=parse_int)
    except RecursionError:  # deeper than Python's stack allows, so far deeper than the limit
        raise depth_error(source) from None
    values, depth = measure(data)
    if depth > MAX_DEPTH:
        raise depth_error(source)
    if values > MAX_VALUES:
        raise values_error(source, "this document amounts")
    return data


def measure(value: Any) -> tuple[int, int]:
    """(number of values, nesting depth) of plain data, without recursion; a scalar is (1, 1)."""
    values, deepest = 0, 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        values += 1
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            pending.extend((child, depth + 1) for pair in item.items() for child in pair)
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
    return values, deepest
