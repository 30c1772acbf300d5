"""A plugin that fails to load costs one warning line and the run goes on; a visualizer backend that fails to
build leaves no other backend open."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from cli_cases import TOY_CONFIG, vidcore
from reliability_toys import toy_env
from vidcore.errors import BuildError
from vidcore.runner import Runner
from vidcore.visualization import BaseVisBackend
from vidcore_runner_toys import make_cfg, make_registry
from vidcore_testing.distributions import install_throwaway_distribution


def test_a_plugin_that_fails_to_load_is_one_warning_line(tmp_path: Path):
    site = install_throwaway_distribution(tmp_path, "vidcore-broken", {
        "vidcore_broken/plugin.py": "raise ImportError('vidcore-broken needs libfoo, which is not installed')\n",
    }, entry_point="vidcore_broken.plugin")
    (tmp_path / "toy.yaml").write_text(TOY_CONFIG)
    env = toy_env(VIDCORE_PLUGINS="vidcore-broken")
    env["PYTHONPATH"] = os.pathsep.join([str(site), env["PYTHONPATH"]])
    result = vidcore("run", "toy.yaml", "--work-dir", "wd", "--cfg-options", "train_cfg.max_epochs=1", cwd=tmp_path,
                     env=env)
    assert result.returncode == 0, result
    assert result.stderr.strip().splitlines() == [
        "vidcore: warning: plugin vidcore-broken 0.1.0 (vidcore_broken.plugin): ImportError: vidcore-broken needs "
        "libfoo, which is not installed"]
    assert (tmp_path / "wd" / "epoch_1.pth").exists()


class RecordingBackend(BaseVisBackend):
    closed: list[str] = []

    def __init__(self, save_dir: str | None = None) -> None:
        self.save_dir = save_dir

    def add_config(self, config: Any) -> None: ...
    def add_scalars(self, scalars: Any, step: int) -> None: ...
    def add_image(self, name: str, image: Any, step: int = 0) -> None: ...
    def add_video(self, name: str, frames: Any, step: int = 0, fps: int = 4) -> None: ...

    def close(self) -> None:
        RecordingBackend.closed.append(self.save_dir)


class FailingBackend(RecordingBackend):
    def __init__(self, save_dir: str | None = None) -> None:
        raise ValueError("cannot reach the tracking server")


def test_a_backend_that_fails_to_build_closes_the_ones_built_before(tmp_path: Path):
    registry = make_registry()
    registry.register("vis_backends", "RecordingBackend", RecordingBackend, dist="tests")
    registry.register("vis_backends", "FailingBackend", FailingBackend, dist="tests")
    cfg = make_cfg(tmp_path / "run", visualizer={"vis_backends": [{"type": "RecordingBackend"},
                                                                  {"type": "FailingBackend"}]})
    RecordingBackend.closed.clear()
    with pytest.raises(BuildError, match=r"visualizer\.vis_backends\[1\] \(FailingBackend\): ValueError: cannot reach"):
        Runner(cfg, registry=registry).train()
    [log_dir] = [path for path in (tmp_path / "run").iterdir() if path.is_dir()]
    assert RecordingBackend.closed == [str(log_dir / "vis_data")]
