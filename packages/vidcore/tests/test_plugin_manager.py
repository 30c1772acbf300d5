"""PluginManager unit behaviour with entry points given directly (no installation needed)."""

from __future__ import annotations

import sys
import textwrap

import pytest
from vidcore.errors import RegistryError
from vidcore.plugins import PluginEntryPoint, PluginManager
from vidcore.registry import Registry

HALF_REGISTERING = textwrap.dedent("""
    from vidcore import hookimpl

    @hookimpl
    def vidcore_register(registry):
        registry.register("models", "HalfDone", "json:dumps")
        raise RuntimeError("registration broke halfway")
""")

GOOD = textwrap.dedent("""
    from vidcore import hookimpl

    @hookimpl
    def vidcore_register(registry):
        registry.register_many("models", {"Fine": "json:loads"})
""")


@pytest.fixture
def plugin_modules(tmp_path, monkeypatch):
    (tmp_path / "half_plugin.py").write_text(HALF_REGISTERING)
    (tmp_path / "good_plugin.py").write_text(GOOD)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in ("half_plugin", "good_plugin"):
        sys.modules.pop(name, None)


def test_a_registration_hook_that_fails_halfway_is_rolled_back(plugin_modules):
    manager = PluginManager(entry_points=[PluginEntryPoint("half", "half_plugin", "vidcore-half", "1.0"),
                                          PluginEntryPoint("good", "good_plugin", "vidcore-good", "2.0")],
                            allow=None, block=[])
    registry = Registry()
    manager.register_into(registry)
    assert registry.get("models", "Fine").__name__ == "loads"
    with pytest.raises(RegistryError) as error:
        registry.get("models", "HalfDone")
    assert "vidcore-half 1.0 (half_plugin): vidcore_register raised RuntimeError: registration broke halfway" in str(
        error.value)
    [failure] = manager.failures
    assert failure.dist == "vidcore-half" and failure.status == "loaded" and "vidcore_register" in failure.hook_errors


def test_allow_and_block_lists_match_distribution_or_entry_point_names(plugin_modules):
    points = [PluginEntryPoint("half", "half_plugin", "vidcore-half", "1.0"),
              PluginEntryPoint("good", "good_plugin", "vidcore-good", "2.0")]
    manager = PluginManager(entry_points=points, allow=["vidcore_good"], block=[])
    manager.load()
    assert {info.dist: info.status for info in manager.plugins.values()} == {
        "vidcore": "loaded", "vidcore-half": "disabled", "vidcore-good": "loaded"}
    blocked = PluginManager(entry_points=points, allow=None, block=["good"])
    blocked.load()
    assert {info.dist: info.status for info in blocked.plugins.values()}["vidcore-good"] == "disabled"
