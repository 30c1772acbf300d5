"""Visualizer fan-out, LocalVisBackend files, closing backends on normal end and on crash, progress bar."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from vidcore.hooks import Hook
from vidcore.runner import Runner
from vidcore.visualization import BaseVisBackend, LocalVisBackend, Visualizer
from vidcore_runner_toys import make_cfg


class RecordingBackend(BaseVisBackend):
    """Remembers everything it receives; `instances` lets a test find the ones a runner built."""

    instances: list[RecordingBackend] = []

    def __init__(self, save_dir: str | None = None) -> None:
        super().__init__(save_dir)
        self.scalars: list[tuple[dict, int]] = []
        self.configs: list[dict] = []
        self.images: list[tuple[str, int]] = []
        self.closed = 0
        RecordingBackend.instances.append(self)

    def add_config(self, config):
        self.configs.append(dict(config))

    def add_scalars(self, scalars, step):
        self.scalars.append((dict(scalars), step))

    def add_image(self, name, image, step=0):
        self.images.append((name, step))

    def close(self):
        self.closed += 1


@pytest.fixture
def recording(registry):
    RecordingBackend.instances = []
    registry.register("vis_backends", "RecordingBackend", RecordingBackend, dist="tests")
    return RecordingBackend.instances


def test_every_backend_gets_config_scalars_and_metrics_and_is_closed(registry, recording, tmp_path: Path):
    cfg = make_cfg(tmp_path, visualizer={"vis_backends": [{"type": "LocalVisBackend"}, {"type": "RecordingBackend"}]})
    runner = Runner(cfg, registry=registry)
    runner.train()
    [backend] = recording
    assert backend.save_dir == str(Path(runner.log_dir) / "vis_data")
    assert backend.configs[0]["model"] == {"type": "ToyModel"}
    keys = set().union(*(scalars for scalars, _ in backend.scalars))
    assert {"epoch", "iter", "train/lr", "train/loss", "train/loss_cls", "val/acc/top1", "train/time"} <= keys
    assert [step for scalars, step in backend.scalars if "val/acc/top1" in scalars] == [6, 12]
    assert backend.closed == 1
    assert (Path(runner.log_dir) / "vis_data" / "scalars.json").is_file()


def test_backends_are_closed_when_training_crashes(registry, recording, tmp_path: Path):
    class Boom(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if runner.iter == 2:
                raise RuntimeError("boom")

    runner = Runner(make_cfg(tmp_path, visualizer={"vis_backends": [{"type": "RecordingBackend"}]}),
                    registry=registry)
    runner.register_hook(Boom())
    with pytest.raises(RuntimeError, match="boom"):
        runner.train()
    assert recording[0].closed == 1
    # the JSON-lines log is written even when the config lists other backends only
    assert (Path(runner.log_dir) / "vis_data" / "scalars.json").read_text().count('"mode": "train"') == 1
    log = next(Path(runner.log_dir).glob("*.log")).read_text()
    assert "RuntimeError: boom" in log and "Traceback" in log


def test_context_manager_keeps_backends_open_across_phases(registry, recording, tmp_path: Path):
    cfg = make_cfg(tmp_path, visualizer={"vis_backends": [{"type": "RecordingBackend"}]},
                   test_dataloader={"batch_size": 4, "dataset": {"type": "ToyDataset", "size": 4}},
                   test_evaluator={"type": "ToyAccuracy"})
    with Runner(cfg, registry=registry) as runner:
        runner.train()
        assert recording[0].closed == 0
        runner.test()
        assert len(recording) == 1
    assert recording[0].closed == 1
    assert any("test/acc/top1" in scalars for scalars, _ in recording[0].scalars)


def test_runner_visualizer_is_exposed_for_hooks(registry, recording, tmp_path: Path):
    class Painter(Hook):
        def after_val_epoch(self, runner, metrics=None):
            runner.visualizer.add_image("sample", np.zeros((2, 3, 3), dtype=np.uint8), step=runner.iter)

    runner = Runner(make_cfg(tmp_path, visualizer={"vis_backends": [{"type": "LocalVisBackend"},
                                                                   {"type": "RecordingBackend"}]}),
                    registry=registry)
    runner.register_hook(Painter())
    runner.train()
    assert recording[0].images == [("sample", 6), ("sample", 12)]
    assert sorted(p.name for p in (Path(runner.log_dir) / "vis_data" / "vis_image").iterdir()) == [
        "sample_12.png", "sample_6.png"]


def read_png(path: Path) -> np.ndarray:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    start = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[start - 8:start - 4])[0]
    raw = zlib.decompress(data[start:start + length])
    rows = [raw[row * (3 * width + 1) + 1:(row + 1) * (3 * width + 1)] for row in range(height)]
    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(height, width, 3)


def test_local_backend_files(tmp_path: Path):
    backend = LocalVisBackend(save_dir=str(tmp_path / "vis_data"))
    visualizer = Visualizer([backend], save_dir=str(tmp_path / "vis_data"))
    visualizer.add_config({"model": {"type": "X"}, "lr": 0.1})
    visualizer.add_scalars({"epoch": 2, "iter": 30, "val/acc/top1": 0.5, "val/time": 0.1}, step=30)
    visualizer.add_scalars({"loss": float("nan"), "note": "text"}, step=31)
    image = np.arange(2 * 4 * 3, dtype=np.uint8).reshape(2, 4, 3)
    visualizer.add_image("pred/first", image, step=3)
    visualizer.add_video("clip", np.stack([image, image + 1]), step=4)
    visualizer.close()
    visualizer.close()  # idempotent

    lines = [json.loads(line) for line in (tmp_path / "vis_data" / "scalars.json").read_text().splitlines()]
    assert lines[0] == {"mode": "val", "epoch": 2, "iter": 30, "step": 30, "acc/top1": 0.5, "time": 0.1}
    assert lines[1] == {"step": 31, "loss": None, "note": "text"}
    assert "model:\n  type: X" in (tmp_path / "vis_data" / "config.yaml").read_text()
    assert np.array_equal(read_png(tmp_path / "vis_data" / "vis_image" / "pred_first_3.png"), image)
    assert read_png(tmp_path / "vis_data" / "vis_image" / "clip_4.png").shape == (2, 8, 3)
    with pytest.raises(ValueError, match="expected a HxWx3 uint8 array"):
        backend.add_image("bad", np.zeros((2, 2), dtype=np.uint8))


def test_visualizer_close_closes_all_even_if_one_fails():
    class Failing(BaseVisBackend):
        def close(self):
            raise OSError("flush failed")

    recording = RecordingBackend()
    visualizer = Visualizer([Failing(), recording])
    with pytest.raises(OSError, match="flush failed"):
        visualizer.close()
    assert recording.closed == 1


def test_progress_bar_on_an_interactive_terminal(registry, tmp_path: Path, monkeypatch):
    import vidcore.hooks._progress as progress

    started = []
    original_start = progress.ProgressDisplay.start

    def spy(self, description, total, completed=0):
        original_start(self, description, total, completed)
        started.append((description, total, self.active))

    monkeypatch.setattr(progress.ProgressDisplay, "start", spy)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    Runner(make_cfg(tmp_path), registry=registry).train()
    assert started[:2] == [("epoch 1/2", 6, True), ("val", 2, True)]


def test_no_progress_bar_when_not_interactive(registry, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    Runner(make_cfg(tmp_path), registry=registry).train()
    out = capsys.readouterr().out
    assert "Epoch(train) [1][2/6]" in out and "\x1b[" not in out
