"""The plugin registers its components lazily, imports no torch, and uses only documented public API."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
import vidcore
from vidcore_tsm import plugin

SOURCE = Path(__file__).resolve().parents[1] / "src" / "vidcore_tsm"

# Modules vidcore_tsm may import: the standard library and third-party libraries it depends on, and the
# public modules of the core (docs/plugins.md, docs/runner.md) and of vidcore-tsn (its __init__ __all__).
ALLOWED_PREFIXES = ("vidcore_tsm", "torch", "torchvision")
ALLOWED_MODULES = {"vidcore", "vidcore.plugins", "vidcore.registry", "vidcore_tsn", "__future__", "importlib", "typing"}
# The names imported from the documented packages must be in their __all__.
PUBLIC_NAMES = {"vidcore": "vidcore", "vidcore.plugins": "vidcore.plugins", "vidcore.registry": "vidcore.registry",
                "vidcore_tsn": "vidcore_tsn"}


def _imports():
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path, alias.name, None
            elif isinstance(node, ast.ImportFrom):
                module = "vidcore_tsm" if node.level else node.module
                for alias in node.names:
                    yield path, module, alias.name


def test_only_public_modules_and_names_are_imported():
    import importlib

    bad = []
    for path, module, name in _imports():
        if module in ALLOWED_MODULES or module.split(".")[0] in ALLOWED_PREFIXES:
            if module in PUBLIC_NAMES and name is not None:
                public = importlib.import_module(PUBLIC_NAMES[module]).__all__
                if name not in public:
                    bad.append(f"{path.name}: {module}.{name} is not in {module}.__all__")
            continue
        bad.append(f"{path.name}: imports {module}")
    assert bad == []


def test_plugin_module_imports_no_torch():
    code = ("import sys, vidcore_tsm, vidcore_tsm.plugin; "
            "bad = [m for m in ('torch', 'torchvision', 'vidcore_tsn') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_components_are_registered_lazily_under_their_kinds():
    registry = vidcore.default_registry()
    for kind, names in (("models", plugin.MODELS), ("optim_constructors", plugin.OPTIM_CONSTRUCTORS)):
        for name, target in names.items():
            entry = registry.lookup(kind, name)
            assert entry.import_string == target and entry.dist == "vidcore-tsm"
            assert callable(registry.get(kind, name))


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-tsm")
def test_vidcore_plugins_lists_the_components(run_vidcore, vidcore_registry):
    result = run_vidcore("plugins", "--json")
    assert result.returncode == 0, result.stderr
    [entry] = [item for item in json.loads(result.stdout) if item["distribution"] == "vidcore-tsm"]
    assert entry["status"] == "loaded"
    assert {(c["kind"], c["name"]) for c in entry["components"]} == {
        ("models", "ResNetTSM"), ("models", "TSMHead"), ("optim_constructors", "TSMOptimWrapperConstructor")}
    verbose = run_vidcore("plugins", "--verbose").stdout
    assert "vidcore_tsm.resnet_tsm:ResNetTSM" in verbose and "TSMOptimWrapperConstructor" in verbose
