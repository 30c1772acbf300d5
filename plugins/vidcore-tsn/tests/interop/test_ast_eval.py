"""The safe evaluator: data is evaluated, code never runs, and every skipped key is named with file:line."""

from __future__ import annotations

import ast

import pytest
from vidcore_tsn.interop.ast_eval import ImportedName, SafeEvaluator
from vidcore_tsn.interop.diagnostics import Diagnostics


def evaluate(source: str, base: dict | None = None) -> tuple[dict, Diagnostics]:
    diagnostics = Diagnostics()
    evaluator = SafeEvaluator("cfg.py", diagnostics, base=base)
    return evaluator.run(ast.parse(source)), diagnostics


def test_literals_dicts_unpacking_and_concatenation():
    namespace, diagnostics = evaluate(
        "norm = dict(mean=[1, 2], std=(3, 4))\n"
        "step = dict(type='Normalize', **norm, to_bgr=False)\n"
        "pipeline = [dict(type='A')] + [step]\n"
        "sizes = (1, 0.875) + (0.75,)\n"
        "scale = (-1, 256)\n"
        "lr = 0.01 * 8 / 4\n"
        "root = 'data/' + 'k400'\n"
        "ann = f'{root}/train.txt'\n"
        "literal = {'a': 1, **{'b': 2}}\n"
        "flag = not False\n"
        "picked = pipeline[1]['type']\n"
        "pair = [*sizes, 2]\n"
    )
    assert not diagnostics.items
    assert namespace["step"] == {"type": "Normalize", "mean": [1, 2], "std": (3, 4), "to_bgr": False}
    assert namespace["pipeline"][1] is namespace["step"]
    assert namespace["sizes"] == (1, 0.875, 0.75)
    assert namespace["scale"] == (-1, 256)
    assert namespace["lr"] == pytest.approx(0.02)
    assert namespace["ann"] == "data/k400/train.txt"
    assert namespace["literal"] == {"a": 1, "b": 2}
    assert namespace["flag"] is True
    assert namespace["picked"] == "Normalize"
    assert namespace["pair"] == [1, 0.875, 0.75, 2]


def test_calls_are_never_executed_and_named_with_file_line_and_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace, diagnostics = evaluate(
        "model = dict(depth=50)\n"
        "marker = __import__('os').system('touch marker')\n"
        "__import__('os').system('touch marker2')\n"
        "other = dict(a=1, b=open('marker3', 'w'))\n"
    )
    assert not (tmp_path / "marker").exists()
    assert not (tmp_path / "marker2").exists()
    assert not (tmp_path / "marker3").exists()
    messages = [str(item) for item in diagnostics.warnings]
    assert any(m.startswith("cfg.py:2: marker: call `__import__('os').system('touch marker')`") for m in messages)
    assert any(m.startswith("cfg.py:3: ") and "touch marker2" in m for m in messages)
    assert any(m.startswith("cfg.py:4: other.b: call `open('marker3', 'w')`") for m in messages)
    assert namespace["model"] == {"depth": 50}
    assert namespace["other"] == {"a": 1}  # only the offending key is skipped


@pytest.mark.parametrize("source, fragment", [
    ("x = [i for i in range(3)]", "listcomp"),
    ("x = lambda: 1", "lambda"),
    ("import os", "import of code"),
    ("from os import system", "import of code"),
    ("x = os.path", "name `os` is not defined"),
    ("x = 'abc'.upper()", "call"),
    ("x = ().__class__", "attribute access"),
    ("def f():\n    pass", "FunctionDef"),
    ("if True:\n    x = 1", "If"),
    ("for i in []:\n    pass", "For"),
    ("x = 2 ** 1000", "exponent too large"),
    ("x = 'a' * 10**7", "too large"),
    ("x = b'bytes'", "constant of type bytes"),
    ("x = undefined", "not defined"),
])
def test_unsupported_constructs_are_reported_not_run(source, fragment):
    namespace, diagnostics = evaluate(source)
    assert diagnostics.warnings, source
    assert fragment in str(diagnostics.warnings[0])
    assert "x" not in namespace or not isinstance(namespace["x"], (int, str, list))


def test_a_name_depending_on_a_skipped_one_is_skipped_too():
    namespace, diagnostics = evaluate("a = print('x')\nb = dict(c=a, d=1)\n")
    assert namespace["b"] == {"d": 1}
    assert "b.c" in str(diagnostics.warnings[-1]) and "was skipped" in str(diagnostics.warnings[-1])


def test_base_references_read_copies_of_the_merged_base():
    base = {"model": {"backbone": {"depth": 50}}, "pipeline": [{"type": "A"}, {"type": "B"}]}
    namespace, diagnostics = evaluate(
        "a = _base_.model\n"
        "a.backbone.depth = 18\n"
        "b = _base_.pipeline[1]\n"
        "c = _base_['model']['backbone']['depth']\n",
        base=base)
    assert not diagnostics.items
    assert namespace["a"] == {"backbone": {"depth": 18}}
    assert base["model"]["backbone"]["depth"] == 50
    assert namespace["b"] == {"type": "B"} and namespace["c"] == 50


def test_assigning_into_base_or_a_missing_key_is_reported():
    namespace, diagnostics = evaluate("_base_.model.depth = 3\nx = _base_.nothing\n", base={"model": {}})
    text = " | ".join(str(item) for item in diagnostics.warnings)
    assert "bases are read-only" in text and "no key `nothing`" in text


def test_update_merges_recursively_and_delete_replaces():
    namespace, diagnostics = evaluate(
        "m = dict(head=dict(num_classes=400, dropout=0.4), keep=1)\n"
        "m.update(dict(head=dict(num_classes=101)))\n"
        "n = dict(opt=dict(type='SGD', lr=1, momentum=0.9))\n"
        "n.update(opt=dict(_delete_=True, type='AdamW', lr=2))\n")
    assert not diagnostics.items
    assert namespace["m"] == {"head": {"num_classes": 101, "dropout": 0.4}, "keep": 1}
    assert namespace["n"] == {"opt": {"type": "AdamW", "lr": 2}}


def test_copy_gives_a_shallow_copy_of_data():
    namespace, diagnostics = evaluate("a = dict(x=1)\nb = a.copy()\nb['x'] = 2\nc = [1].copy()\n")
    assert not diagnostics.items
    assert namespace["a"] == {"x": 1} and namespace["b"] == {"x": 2} and namespace["c"] == [1]


def test_imported_classes_become_type_names():
    namespace, diagnostics = evaluate(
        "from mmaction.models import Recognizer2D as R\n"
        "from torch.optim import SGD\n"
        "model = dict(type=R)\noptimizer = dict(type=SGD)\n")
    assert not diagnostics.items
    assert namespace["model"]["type"] == "Recognizer2D" and isinstance(namespace["model"]["type"], ImportedName)
    assert namespace["optimizer"]["type"] == "SGD"
