"""The plugin module registers every component lazily, imports no torch, and each name builds."""

from __future__ import annotations

import subprocess
import sys

import pytest
import vidcore
from vidcore_tsn import plugin


def test_plugin_module_imports_no_torch():
    code = ("import sys, vidcore_tsn, vidcore_tsn.plugin; "
            "bad = [m for m in ('torch', 'torchvision') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_components_are_registered_lazily_under_their_kinds():
    registry = vidcore.default_registry()
    for name, target in plugin.MODELS.items():
        entry = registry.lookup("models", name)
        assert entry.import_string == target and entry.dist == "vidcore-tsn"
    for name in ("Normal", "Constant", "Kaiming", "Xavier", "Pretrained"):
        assert registry.lookup("weight_inits", name).dist == "vidcore-tsn"


@pytest.mark.parametrize("kind,names", [("models", list(plugin.MODELS)), ("weight_inits", list(plugin.WEIGHT_INITS))])
def test_every_registered_target_imports(kind, names):
    registry = vidcore.default_registry()
    for name in names:
        assert callable(registry.get(kind, name))
