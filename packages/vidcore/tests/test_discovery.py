"""Fast entry-point discovery must find exactly what importlib.metadata finds."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from vidcore.plugins._discovery import PluginEntryPoint

COMPARE = textwrap.dedent("""
    import json, sys
    from vidcore.plugins._discovery import _scan_folders, _scan_with_importlib
    print(json.dumps([[p._asdict() for p in _scan_folders()], [p._asdict() for p in _scan_with_importlib()]]))
""")


def make_dist_info(site, folder: str, metadata: str, entry_points: str) -> None:
    info = site / folder
    info.mkdir(parents=True)
    (info / "METADATA").write_text(metadata)
    (info / "entry_points.txt").write_text(entry_points)


def test_fast_scan_equals_importlib_metadata(tmp_path):
    site = tmp_path / "site"
    make_dist_info(site, "vidcore_extra-2.3.dist-info",
                   "Metadata-Version: 2.1\nName: vidcore-extra\nVersion: 2.3\n\nbody",
                   "[console_scripts]\nx = y:z\n\n[vidcore]\nextra = vidcore_extra.plugin\n# comment\n"
                   "second = vidcore_extra.other:hooks [opt]\n")
    make_dist_info(site, "unrelated-1.0.dist-info", "Name: unrelated\nVersion: 1.0\n", "[pytest11]\na = b\n")
    env = {"PYTHONPATH": str(site)}
    import json
    import os

    result = subprocess.run([sys.executable, "-c", COMPARE], capture_output=True, text=True,
                            env={**os.environ, **env}, timeout=60)
    assert result.returncode == 0, result.stderr
    fast, reference = json.loads(result.stdout)
    assert fast == reference
    second = {"name": "second", "value": "vidcore_extra.other:hooks [opt]", "dist": "vidcore-extra", "version": "2.3"}
    assert second in fast
    assert not any(point["dist"] == "unrelated" for point in fast)


def test_entry_point_loads_module_attribute(tmp_path, monkeypatch):
    (tmp_path / "ep_target_mod.py").write_text("class Hooks:\n    inner = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert PluginEntryPoint("x", "ep_target_mod:Hooks.inner", "d", "1").load() == 42
    assert PluginEntryPoint("x", "ep_target_mod", "d", "1").load().__name__ == "ep_target_mod"
