"""The plugin registers its components lazily, imports no torch, and uses only documented public API."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import vidcore
from vidcore_video3d import plugin

SOURCE = Path(__file__).resolve().parents[1] / "src" / "vidcore_video3d"

# Modules vidcore_video3d may import: the standard library modules it uses, its dependencies, and the public
# modules of the core (docs/plugins.md, docs/runner.md) and of vidcore-tsn (its __init__ __all__).
ALLOWED_PREFIXES = ("vidcore_video3d", "torch", "torchvision")
ALLOWED_MODULES = {"vidcore", "vidcore.registry", "vidcore.model", "vidcore.checkpoint", "vidcore_tsn",
                   "__future__", "importlib", "typing", "os"}
# The names imported from the documented packages must be in their __all__.
PUBLIC_NAMES = ("vidcore", "vidcore.registry", "vidcore.model", "vidcore.checkpoint", "vidcore_tsn")


def _imports():
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path, alias.name, None
            elif isinstance(node, ast.ImportFrom):
                module = "vidcore_video3d" if node.level else node.module
                for alias in node.names:
                    yield path, module, alias.name


def test_only_public_modules_and_names_are_imported():
    bad = []
    for path, module, name in _imports():
        if module in ALLOWED_MODULES or module.split(".")[0] in ALLOWED_PREFIXES:
            if module in PUBLIC_NAMES and name is not None and name not in importlib.import_module(module).__all__:
                bad.append(f"{path.name}: {module}.{name} is not in {module}.__all__")
            continue
        bad.append(f"{path.name}: imports {module}")
    assert bad == []


def test_plugin_module_imports_no_torch():
    code = ("import sys, vidcore_video3d, vidcore_video3d.plugin; "
            "bad = [m for m in ('torch', 'torchvision', 'vidcore_tsn') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_components_are_registered_lazily_under_their_kinds():
    registry = vidcore.default_registry()
    for kind, names in (("models", plugin.MODELS), ("weight_inits", plugin.WEIGHT_INITS)):
        for name, target in names.items():
            entry = registry.lookup(kind, name)
            assert entry.import_string == target and entry.dist == "vidcore-video3d"
            assert callable(registry.get(kind, name))


@pytest.mark.vidcore_plugins("vidcore-video", "vidcore-tsn", "vidcore-video3d")
def test_vidcore_plugins_lists_the_components(run_vidcore, vidcore_registry):
    result = run_vidcore("plugins", "--json")
    assert result.returncode == 0, result.stderr
    [entry] = [item for item in json.loads(result.stdout) if item["distribution"] == "vidcore-video3d"]
    assert entry["status"] == "loaded" and "vidcore_configure" in entry["hooks"]
    assert {(c["kind"], c["name"]) for c in entry["components"]} == {
        *(("models", name) for name in plugin.MODELS), ("weight_inits", "TorchvisionClassifier")}
    verbose = run_vidcore("plugins", "--verbose").stdout
    assert "vidcore_video3d.recognizer3d:Recognizer3D" in verbose and "ResNet3dSlowFast" in verbose
