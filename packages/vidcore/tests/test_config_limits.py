"""The limits of `vidcore.config._safe_yaml` hold exactly at their bounds, in YAML, JSON and `${...}` references."""

from __future__ import annotations

import json

import pytest
import yaml
from vidcore.config._interpolation import resolve_references
from vidcore.config._safe_yaml import MAX_ALIASES, MAX_DEPTH, MAX_INTEGER_DIGITS, MAX_VALUES, load_json, load_yaml
from vidcore.errors import ConfigError


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_integer_digits():
    assert load_yaml(f"a: {'9' * MAX_INTEGER_DIGITS}", "c.yaml") == {"a": int("9" * MAX_INTEGER_DIGITS)}
    assert load_yaml(f"a: -0x{'f' * (MAX_INTEGER_DIGITS - 2)}", "c.yaml")["a"] < 0
    with pytest.raises(ConfigError, match=r"^c\.yaml:1:4: an integer of 101 digits; the limit is 100$"):
        load_yaml(f"a: {'9' * (MAX_INTEGER_DIGITS + 1)}", "c.yaml")
    assert load_json(f"[{'9' * MAX_INTEGER_DIGITS}]", "c.json") == [int("9" * MAX_INTEGER_DIGITS)]
    with pytest.raises(ConfigError, match=r"^c\.json: an integer of 101 digits"):
        load_json(f"[-{'9' * (MAX_INTEGER_DIGITS + 1)}]", "c.json")


def test_nesting_depth():
    assert load_yaml(nested(MAX_DEPTH), "c.yaml") is not None
    assert load_json(nested(MAX_DEPTH), "c.json") is not None
    with pytest.raises(ConfigError, match=r"^c\.yaml:1:101: nested more than 100 levels deep"):
        load_yaml(nested(MAX_DEPTH + 1), "c.yaml")
    with pytest.raises(ConfigError, match=r"^c\.json: nested more than 100 levels deep"):
        load_json(nested(MAX_DEPTH + 1), "c.json")
    # Aliases can stack depth that no single line shows: 60 + 60 levels.
    text = f"a: &a {nested(59)}\nb: [{'[' * 59}*a{']' * 59}]\n"
    with pytest.raises(ConfigError, match=r"with its YAML aliases expanded, this value is nested more than 100"):
        load_yaml(text, "c.yaml")


def test_alias_count_and_expansion():
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * MAX_ALIASES) + "]\n"
    assert len(load_yaml(many, "c.yaml")["b"]) == MAX_ALIASES
    with pytest.raises(ConfigError, match=rf"more than {MAX_ALIASES} YAML aliases"):
        load_yaml(many.replace("*a]", "*a, *a]"), "c.yaml")
    # 400 x 400 = 160,000 values fit; 450 x 450 do not, whatever the file's size.
    for width, fits in ((400, True), (450, False)):
        text = f"a: &a [{', '.join(['1'] * width)}]\nb: [{', '.join(['*a'] * width)}]\n"
        if fits:
            assert len(load_yaml(text, "c.yaml")["b"]) == width
        else:
            with pytest.raises(ConfigError, match=rf"^c\.yaml:2:4: YAML aliases expand .* {MAX_VALUES} values"):
                load_yaml(text, "c.yaml")


def test_merge_keys_and_syntax_errors_are_unchanged():
    data = load_yaml("base: &base {lr: 0.1, momentum: 0.9}\nopt:\n  <<: *base\n  lr: 0.2\n", "c.yaml")
    assert data["opt"] == {"lr": 0.2, "momentum": 0.9}
    with pytest.raises(yaml.YAMLError):
        load_yaml("a: [1", "c.yaml")
    with pytest.raises(yaml.YAMLError, match="appears twice"):
        load_yaml("a: 1\na: 2\n", "c.yaml")
    with pytest.raises(json.JSONDecodeError):
        load_json("{", "c.json")


def test_reference_expansion_and_nesting():
    def locate(path):
        return "c.yaml"

    data = {"r0": list(range(10))}
    for i in range(1, 4):
        data[f"r{i}"] = [f"${{r{i - 1}}}"] * 10
    assert len(resolve_references(data, locate)[0]["r3"]) == 10  # 10^4 values: within the limit
    data["r4"] = ["${r3}"] * 10
    data["r5"] = ["${r4}"] * 10  # 10^6 values
    with pytest.raises(ConfigError, match=r"^c\.yaml: r[45]\[\d\]: \$\{\.\.\.\} references expand the config"):
        resolve_references(data, locate)
    chain = {f"c{i}": [f"${{c{i + 1}}}"] for i in range(MAX_DEPTH + 1)}
    chain[f"c{MAX_DEPTH + 1}"] = 1
    with pytest.raises(ConfigError, match="nest.* more than 100 levels deep"):
        resolve_references(chain, locate)
