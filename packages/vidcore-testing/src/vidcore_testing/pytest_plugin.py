"""pytest plugin (entry point `pytest11: vidcore_testing`): fixtures for testing vidcore and its plugins.

pytest loads this module in every session where vidcore-testing is installed, so it imports only the
standard library, pytest and vidcore's light modules at import time; torch, numpy and PyAV wait for a fixture
to need them.

Fixtures: `vidcore_registry`, `make_video`, `run_vidcore`, `tmp_work_dir`.
Marker: `@pytest.mark.vidcore_plugins("vidcore-foo", ...)` loads installed plugins into `vidcore_registry`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from .cli import CliResult
from .cli import run_vidcore as _run_vidcore

__all__ = ["vidcore_registry", "make_video", "run_vidcore", "tmp_work_dir"]

PLUGINS_MARKER = "vidcore_plugins"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{PLUGINS_MARKER}(*distributions): load these installed vidcore plugin distributions into the "
        "vidcore_registry fixture (every installed plugin when none is named)",
    )


@pytest.fixture
def vidcore_registry(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh Registry, also installed as the process-wide default registry for the test's duration.

    It holds the core's built-in components; installed plugins are added with the marker
    `@pytest.mark.vidcore_plugins("vidcore-foo")` (a named plugin that is missing or fails to load is an
    error) or `@pytest.mark.vidcore_plugins()` (all of them). Components registered eagerly during the
    test (`@vidcore.register`) land here and vanish with it.
    """
    from vidcore.plugins import set_default_registry

    from .registry import isolated_registry

    marker = request.node.get_closest_marker(PLUGINS_MARKER)
    plugins: bool | tuple[str, ...] = False if marker is None else (tuple(marker.args) or True)
    registry = isolated_registry(plugins)
    previous = set_default_registry(registry)
    yield registry
    set_default_registry(previous)


@pytest.fixture
def make_video(tmp_path: Path) -> Callable[..., Path]:
    """A factory that encodes a tiny real video under tmp_path: `make_video("clip.mp4", num_frames=8)`.

    Keyword arguments are those of `vidcore_testing.encode_video` (num_frames, height, width, fps,
    codec). The test is skipped when vidcore-video (the encoder, with PyAV) is not installed.
    """
    from vidcore.registry import install_command

    pytest.importorskip("vidcore_video", reason="make_video encodes with vidcore-video, which is not installed "
                        f"({install_command('vidcore-video')})")
    from .video import encode_video

    def make(name: str = "video.mp4", **options: Any) -> Path:
        return encode_video(tmp_path / name, **options)

    return make


@pytest.fixture
def run_vidcore(tmp_path: Path) -> Callable[..., CliResult]:
    """Run the `vidcore` CLI in a subprocess: `run_vidcore("config", "check", cfg)` -> CliResult.

    The command runs in tmp_path unless `cwd=` says otherwise; `env=` and `pythonpath=` are those of
    `vidcore_testing.run_vidcore`.
    """

    def run(*args: Any, cwd: Any = None, **options: Any) -> CliResult:
        return _run_vidcore(*args, cwd=cwd or tmp_path, **options)

    return run


@pytest.fixture
def tmp_work_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty `work_dir` for a run, and the test runs inside tmp_path so default work dirs land there too."""
    monkeypatch.chdir(tmp_path)
    work_dir = tmp_path / "work_dir"
    work_dir.mkdir()
    return work_dir
