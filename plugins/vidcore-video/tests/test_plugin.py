"""Registration: every component registered lazily, importable, and nothing heavy imported up front."""

from __future__ import annotations

import subprocess
import sys

from vidcore.registry import Registry
from vidcore_video.plugin import COMPONENTS, vidcore_register


class Recorder:
    def __init__(self) -> None:
        self.calls: dict[str, dict[str, str]] = {}

    def register_many(self, kind: str, components: dict[str, str]) -> None:
        self.calls.setdefault(kind, {}).update(components)

    def add_install_hints(self, names_by_dist: dict[str, tuple[str, ...]]) -> None:
        self.hints = names_by_dist


def test_registers_every_kind_lazily():
    recorder = Recorder()
    vidcore_register(recorder)
    assert set(recorder.calls) == {"datasets", "transforms", "models", "metrics", "hooks", "visualizers"}
    assert recorder.calls["hooks"] == {"VisualizationHook": "vidcore_video.visualization_hook:VisualizationHook"}
    targets = [target for kind in recorder.calls.values() for target in kind.values()]
    assert all(isinstance(target, str) and ":" in target for target in targets)


def test_every_target_imports():
    registry = Registry()
    for kind, components in COMPONENTS.items():
        if kind == "hooks":
            continue  # written separately (vidcore_video.visualization_hook)
        registry.register_many(kind, components, dist="vidcore-video")
        for name in components:
            assert callable(registry.get(kind, name)), name


def test_each_family_distribution_registers_the_names_hinted_for_it():
    from vidcore.plugins import default_registry
    from vidcore_video.plugin import FAMILY_COMPONENTS

    registry = default_registry()
    for dist, names in FAMILY_COMPONENTS.items():
        registered = {entry.name for entry in registry.entries() if entry.dist == dist}
        assert registered, f"{dist} is not installed in the test environment"
        assert set(names) <= registered, (dist, set(names) - registered)
        assert all(registry.install_hints[name] == dist for name in names)


def test_import_and_registration_do_not_import_heavy_modules():
    code = ("import sys, vidcore_video, vidcore_video.plugin as p\n"
            "class R:\n    def register_many(self, kind, targets): pass\n"
            "    def add_install_hints(self, names_by_dist): pass\n"
            "p.vidcore_register(R())\n"
            "heavy = [m for m in ('torch', 'av', 'decord', 'numpy', 'PIL') if m in sys.modules]\n"
            "print(','.join(heavy))\n")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == ""


def test_public_names_resolve():
    import vidcore_video

    for name in vidcore_video.__all__:
        assert getattr(vidcore_video, name) is not None
