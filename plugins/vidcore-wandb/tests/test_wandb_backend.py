"""WandbVisBackend: offline runs read back from wandb's own run file; no prompt, no hang, finished on crash."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from vidcore.errors import BuildError
from vidcore.plugins import default_registry
from vidcore.visualization import frames_grid
from vidcore_testing import check_vis_backend
from vidcore_wandb.backend import WandbVisBackend


def random_frames(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_registered_lazily_and_built_by_name(tmp_path: Path, offline_wandb: Path, read_run) -> None:
    entry = default_registry().lookup("vis_backends", "WandbVisBackend")
    assert (entry.dist, entry.import_string) == ("vidcore-wandb", "vidcore_wandb.backend:WandbVisBackend")
    backend = default_registry().build({"type": "WandbVisBackend", "init_kwargs": {"project": "p"}},
                                       "vis_backends", default_args={"save_dir": str(tmp_path / "vis_data")})
    assert isinstance(backend, WandbVisBackend) and backend.mode == "offline"
    backend.close()
    assert read_run(offline_wandb).exit_code == 0


def test_loading_the_plugin_does_not_import_wandb() -> None:
    code = ("import sys; from vidcore.plugins import default_registry; "
            "default_registry().lookup('vis_backends', 'WandbVisBackend'); print('wandb' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_protocol_conformance(tmp_path: Path) -> None:
    check_vis_backend(WandbVisBackend, tmp_path / "vis_data")


def test_scalars_and_config_are_recorded_with_their_steps(tmp_path: Path, offline_wandb: Path, read_run) -> None:
    config = {"model": {"type": "Toy", "widths": (4, 8)}, "work_dir": str(tmp_path), "path": Path("x")}
    backend = WandbVisBackend(save_dir=str(tmp_path), init_kwargs={"project": "vidcore-test"})
    backend.add_config(config)
    for step in (1, 2, 3, 4):
        backend.add_scalars({"loss": 1.0 / step, "lr": np.float32(0.5), "mode": "train"}, step)
    backend.add_scalars({"acc/top1": 0.75}, 4)
    backend.add_scalars({"acc/top1": 0.25}, 2)  # out of order: kept, not dropped by wandb's monotonic _step
    backend.close()

    run = read_run(offline_wandb)
    assert run.exit_code == 0
    assert run.history == [
        {"step": 1, "loss": 1.0, "lr": 0.5}, {"step": 2, "loss": 0.5, "lr": 0.5},
        {"step": 3, "loss": pytest.approx(1 / 3), "lr": 0.5}, {"step": 4, "loss": 0.25, "lr": 0.5},
        {"step": 4, "acc/top1": 0.75}, {"step": 2, "acc/top1": 0.25},
    ]
    assert run.config["model"] == {"type": "Toy", "widths": [4, 8]}
    assert run.config["path"] == "x"  # paths are logged as plain strings
    step_axes = {metric.glob_name or metric.name: metric.step_metric for metric in run.metrics}
    assert step_axes["*"] == "step"


def test_commit_false_merges_rows_of_one_step_and_flushes_on_close(tmp_path: Path, offline_wandb: Path,
                                                                   read_run) -> None:
    backend = WandbVisBackend(save_dir=str(tmp_path), commit=False)
    backend.add_scalars({"loss": 2.0}, 10)
    backend.add_scalars({"acc/top1": 0.5}, 10)
    backend.add_scalars({"loss": 1.0}, 20)  # a new step commits the row of step 10
    backend.add_scalars({"acc/top1": 0.6}, 20)
    backend.close()  # and close commits the last one
    assert read_run(offline_wandb).history == [{"loss": 2.0, "acc/top1": 0.5, "step": 10},
                                               {"loss": 1.0, "acc/top1": 0.6, "step": 20}]


def test_images_and_clips_are_saved_as_media(tmp_path: Path, offline_wandb: Path, read_run) -> None:
    image, clip = random_frames(16, 24, 3, seed=1), random_frames(3, 8, 8, 3, seed=2)
    backend = WandbVisBackend(save_dir=str(tmp_path))
    backend.add_image("val/sample", image, step=5)
    backend.add_video("val/clip", clip, step=5)  # no imageio here: an image grid of the frames
    backend.close()

    run = read_run(offline_wandb)
    first, second = run.history
    assert first["step"] == 5 and first["val/sample"]["_type"] == "image-file"
    assert second["step"] == 5 and second["val/clip"]["_type"] == "image-file"
    for key, expected in (("val/sample", image), ("val/clip", frames_grid(clip))):
        row = first if key == "val/sample" else second
        with Image.open(io.BytesIO((run.files / row[key]["path"]).read_bytes())) as decoded:
            np.testing.assert_array_equal(np.asarray(decoded.convert("RGB")), expected)


def test_clips_become_gifs_when_imageio_is_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import wandb
    from vidcore_wandb import backend as backend_module

    videos, logged = [], []
    monkeypatch.setattr(backend_module.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(wandb, "Video", lambda data, fps, format: videos.append((data, fps, format)) or "video")
    backend = WandbVisBackend(save_dir=str(tmp_path))
    monkeypatch.setattr(backend, "_log", lambda data, step: logged.append((data, step)))
    clip = random_frames(5, 4, 6, 3)
    backend.add_video("clip", clip, step=3, fps=8)
    backend.close()
    ((data, fps, fmt),) = videos
    assert data.shape == (5, 3, 4, 6) and (fps, fmt) == (8, "gif")  # T, C, H, W as wandb.Video expects
    np.testing.assert_array_equal(data.transpose(0, 2, 3, 1), clip)
    assert logged == [({"clip": "video"}, 3)]


def test_define_metric_cfg_keeps_the_step_axis(tmp_path: Path, offline_wandb: Path, read_run) -> None:
    backend = WandbVisBackend(save_dir=str(tmp_path), define_metric_cfg={"acc/top1": "max"})
    backend.close()
    (metric,) = [metric for metric in read_run(offline_wandb).metrics if metric.name == "acc/top1"]
    assert metric.step_metric == "step" and metric.summary.max


def test_files_go_to_save_dir_without_wandb_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read_run) -> None:
    monkeypatch.delenv("WANDB_DIR")
    backend = WandbVisBackend(save_dir=str(tmp_path / "run" / "vis_data"))
    backend.add_scalars({"loss": 1.0}, 1)
    backend.close()
    assert read_run(tmp_path / "run" / "vis_data" / "wandb").history == [{"loss": 1.0, "step": 1}]


def test_disabled_mode_logs_nothing_and_does_not_fail(tmp_path: Path, offline_wandb: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_MODE", "disabled")
    backend = WandbVisBackend(save_dir=str(tmp_path))
    assert backend.mode == "disabled"
    backend.add_config({"a": 1})
    backend.add_scalars({"loss": 1.0}, 1)
    backend.add_image("x", random_frames(4, 4, 3))
    backend.close()
    assert not list(offline_wandb.rglob("*.wandb"))


def test_without_credentials_it_goes_offline_with_one_line(tmp_path: Path, offline_wandb: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str], read_run) -> None:
    monkeypatch.delenv("WANDB_MODE")
    backend = WandbVisBackend(save_dir=str(tmp_path))
    backend.add_scalars({"loss": 1.0}, 1)
    backend.close()
    assert backend.mode == "offline"
    notice = [line for line in capsys.readouterr().err.splitlines() if line.startswith("vidcore-wandb:")]
    assert len(notice) == 1
    assert "no W&B credentials" in notice[0] and "wandb sync" in notice[0] and str(offline_wandb) in notice[0]
    assert read_run(offline_wandb).history == [{"loss": 1.0, "step": 1}]


def test_unreachable_server_goes_offline_quickly(tmp_path: Path, offline_wandb: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    monkeypatch.setenv("WANDB_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    started = time.monotonic()
    backend = WandbVisBackend(save_dir=str(tmp_path))
    backend.close()
    assert time.monotonic() - started < 30
    assert backend.mode == "offline"
    assert "is unreachable; logging offline" in capsys.readouterr().err


def test_an_invalid_mode_is_a_build_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="init_kwargs.mode: wandb mode 'onlin' is not one of online, offline"):
        WandbVisBackend(save_dir=str(tmp_path), init_kwargs={"mode": "onlin"})


SCRIPT = """
import sys
from vidcore_wandb.backend import WandbVisBackend

backend = WandbVisBackend(save_dir=sys.argv[1], init_kwargs={"project": "crash"})
backend.add_scalars({"loss": 0.5}, 7)
if sys.argv[2] == "crash":
    raise RuntimeError("training blew up")
# "forget": the script ends without close()
"""


@pytest.mark.parametrize(("how", "status", "exit_code"), [("crash", 1, 1), ("forget", 0, 0)])
def test_run_is_finished_at_exit_without_close(tmp_path: Path, offline_wandb: Path, read_run,
                                               how: str, status: int, exit_code: int) -> None:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT))
    result = subprocess.run([sys.executable, str(script), str(tmp_path), how], capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == status, result.stderr
    if how == "crash":
        assert "training blew up" in result.stderr
    run = read_run(offline_wandb)
    assert run.history == [{"loss": 0.5, "step": 7}]
    assert run.exit_code == exit_code


def test_exit_handler_finishes_a_crashed_run_once_and_only_in_its_own_process(
        tmp_path: Path, offline_wandb: Path, read_run, monkeypatch: pytest.MonkeyPatch) -> None:
    from vidcore_wandb import backend as backend_module

    backend = WandbVisBackend(save_dir=str(tmp_path), commit=False)
    backend.add_scalars({"loss": 0.25}, 3)  # pending: commit=False
    real_pid = backend_module.os.getpid()
    monkeypatch.setattr(backend_module.os, "getpid", lambda: real_pid + 1)
    backend._finish_at_exit()  # as in a forked data-loader worker: not its run
    assert backend._run is not None
    monkeypatch.setattr(backend_module.os, "getpid", lambda: real_pid)
    monkeypatch.setattr(sys, "last_value", RuntimeError("uncaught"), raising=False)
    backend._finish_at_exit()
    backend.close()  # already finished: nothing more
    run = read_run(offline_wandb)
    assert run.exit_code == 1 and run.history == [{"loss": 0.25, "step": 3}]


def test_close_during_an_exception_marks_the_run_failed(tmp_path: Path, offline_wandb: Path, read_run) -> None:
    backend = WandbVisBackend(save_dir=str(tmp_path))
    with pytest.raises(KeyError):
        try:
            raise KeyError("boom")
        finally:
            backend.close()
    assert read_run(offline_wandb).exit_code == 1
