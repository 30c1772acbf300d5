"""`vidcore plot` and `vidcore_plot.plotting`: finding and reading scalar logs, curves, the PNG, and user errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from vidcore.cli._main import main
from vidcore.errors import DataError
from vidcore_plot.plotting import collect_curves, find_scalar_log, load_run, read_scalar_log, render_curves

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
C0 = (31, 119, 180)  # matplotlib's first two cycle colours: run 1 and run 2
C1 = (255, 127, 14)


def write_log(work_dir: Path, stamp: str, *, loss_scale: float = 1.0, acc_shift: float = 0.0,
              val_step: str = "epoch") -> Path:
    """3 epochs x 4 iterations of train lines, and one val line per epoch."""
    log = work_dir / stamp / "vis_data" / "scalars.json"
    log.parent.mkdir(parents=True)
    lines = []
    for epoch in range(1, 4):
        for index in range(1, 5):
            step = (epoch - 1) * 4 + index
            lines.append({"mode": "train", "epoch": epoch, "iter": step, "step": step, "lr": 0.1,
                          "loss": loss_scale * (13 - step), "time": 0.5})
        step = epoch if val_step == "epoch" else epoch * 4
        lines.append({"mode": "val", "epoch": epoch, "iter": 2, "step": step, "acc/top1": 0.25 * epoch - acc_shift})
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return log


def color_mask(pixels: np.ndarray, color: tuple[int, int, int], tolerance: int = 40) -> np.ndarray:
    return np.abs(pixels[..., :3].astype(int) - np.array(color)).sum(axis=-1) < tolerance


def test_find_scalar_log_picks_the_newest_run_or_takes_the_file(tmp_path: Path) -> None:
    old = write_log(tmp_path / "w", "20240101_000000")
    new = write_log(tmp_path / "w", "20250101_000000")
    os.utime(old, (2e9, 2e9))  # a newer mtime must not beat the newer run folder
    assert find_scalar_log(tmp_path / "w") == new
    assert find_scalar_log(old) == old
    assert find_scalar_log(tmp_path / "w" / "20240101_000000") == old


def test_val_lines_are_placed_at_the_train_iteration_they_followed(tmp_path: Path) -> None:
    by_epoch = collect_curves(read_scalar_log(write_log(tmp_path / "a", "20250101_000000", val_step="epoch")))
    by_iter = collect_curves(read_scalar_log(write_log(tmp_path / "b", "20250101_000000", val_step="iter")))
    for curves in (by_epoch, by_iter):
        assert curves[("acc/top1", "val")].x == [4.0, 8.0, 12.0]
        assert curves[("acc/top1", "val")].y == [0.25, 0.5, 0.75]
        assert curves[("loss", "train")].x == [float(step) for step in range(1, 13)]
        assert curves[("loss", "train")].y == [float(13 - step) for step in range(1, 13)]
    assert not any(key in ("epoch", "iter", "step", "mode") for key, _ in by_epoch)


def test_render_curves_draws_each_run_and_key(tmp_path: Path) -> None:
    runs = [load_run(write_log(tmp_path / "r1", "20250101_000000")),
            load_run(write_log(tmp_path / "r2", "20250101_000000", loss_scale=2.0))]
    figure = render_curves(runs, ["loss", "acc/top1"])
    loss_axes, acc_axes = figure.axes
    assert loss_axes.get_title() == "loss" and acc_axes.get_title() == "acc/top1"
    assert [line.get_label() for line in loss_axes.lines] == ["r1", "r2"]
    assert [line.get_label() for line in acc_axes.lines] == ["r1 (val)", "r2 (val)"]
    assert list(loss_axes.lines[1].get_ydata()) == [2.0 * (13 - step) for step in range(1, 13)]
    assert list(acc_axes.lines[0].get_xdata()) == [4.0, 8.0, 12.0]


def test_default_keys_leave_out_timings(tmp_path: Path) -> None:
    figure = render_curves([load_run(write_log(tmp_path / "w", "20250101_000000"))])
    assert [axes.get_title() for axes in figure.axes if axes.get_visible()] == ["loss", "acc/top1", "lr"]


def test_cli_writes_a_png_with_both_runs_curves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    write_log(tmp_path / "run_a", "20250101_000000")
    write_log(tmp_path / "run_b", "20250101_000000", loss_scale=0.5, acc_shift=0.2)
    out = tmp_path / "plots" / "curves.png"
    status = main(["plot", str(tmp_path / "run_a"), str(tmp_path / "run_b"), "--keys", "loss", "acc/top1",
                   "--out", str(out)])
    assert status == 0
    assert str(out) in capsys.readouterr().out
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (1280, 400)  # two subplots of 6.4 x 4 in at 100 dpi
        pixels = np.asarray(image.convert("RGB"))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50  # not a blank canvas
    left, right = pixels[:, :640], pixels[:, 640:]
    for half in (left, right):  # each subplot shows both runs
        assert color_mask(half, C0).sum() > 100 and color_mask(half, C1).sum() > 100
    # The loss of run_a falls: its line is high on the left of the subplot and low on the right.
    rows, columns = np.nonzero(color_mask(left[:, 60:], C0))
    first, last = rows[columns < np.percentile(columns, 15)], rows[columns > np.percentile(columns, 85)]
    assert first.mean() < last.mean() - 100


def test_cli_unknown_key_names_key_and_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_log(tmp_path / "w", "20250101_000000")
    assert main(["plot", str(tmp_path / "w"), "--keys", "acc/top5", "--out", str(tmp_path / "c.png")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0
    assert "'acc/top5'" in error and str(log) in error and "acc/top1" in error
    assert not (tmp_path / "c.png").exists()


def test_cli_missing_log_names_the_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["plot", str(tmp_path / "empty")]) == 2
    assert f"{tmp_path / 'empty'}: no scalar log found" in capsys.readouterr().err
    assert main(["plot", str(tmp_path / "absent")]) == 2
    assert f"{tmp_path / 'absent'}: no such file" in capsys.readouterr().err


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    log = tmp_path / "scalars.json"
    log.write_text('{"mode": "train", "step": 1, "loss": 1.0}\nnot json\n{"step": 2}\n')
    with pytest.raises(DataError, match=rf"{log}:2: not a JSON object"):
        read_scalar_log(log)
    log.write_text('{"mode": "train", "step": 1, "loss": 1.0}\n{"mode": "tr')  # a run writing its last line
    assert read_scalar_log(log) == [{"mode": "train", "step": 1, "loss": 1.0}]


def test_cli_without_matplotlib_says_how_to_install(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    write_log(tmp_path / "w", "20250101_000000")
    for name in [name for name in sys.modules if name == "matplotlib" or name.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` raise ImportError
    assert main(["plot", str(tmp_path / "w"), "--out", str(tmp_path / "c.png")]) == 2
    error = capsys.readouterr().err.strip()
    assert error == "vidcore: error: plotting needs matplotlib, which is not installed: pip install matplotlib"


def test_cli_start_up_does_not_import_matplotlib() -> None:
    code = "import sys; from vidcore.cli._main import build_parser; build_parser(); print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
