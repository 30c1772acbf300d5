"""The plugin registers its components lazily, imports no torch, and uses only documented public API."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import vidcore
from vidcore_testing import check_imports
from vidcore_tsm import plugin

# Modules vidcore_tsm may import: the standard library and third-party libraries it depends on, and the
# public modules of the core (docs/api.md) and of vidcore-tsn; names from these must be in their `__all__`.
ALLOWED_PREFIXES = ("torch", "torchvision")
ALLOWED_MODULES = {"vidcore", "vidcore.plugins", "vidcore.registry", "vidcore_tsn", "__future__", "importlib", "typing"}


def test_only_public_modules_and_names_are_imported():
    assert check_imports("vidcore_tsm", modules=ALLOWED_MODULES, prefixes=ALLOWED_PREFIXES) == []


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
