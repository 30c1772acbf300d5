"""What `vidcore run` shows a user: progress bars for generating the synthetic videos, training, validation
and testing on a terminal (plain lines otherwise), and a summary at the end of the run."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from demo_budget import DEMO, TINY
from vidcore_testing import run_vidcore

VIDCORE = Path(sys.executable).with_name("vidcore")
BAR = "[━╸╺]"  # rich's bar characters

pytestmark = pytest.mark.slow


def test_the_run_ends_with_a_summary(tmp_path: Path):
    result = run_vidcore("run", DEMO, "--work-dir", "wd", "--cfg-options", *TINY, "train_cfg.max_epochs=2",
                         cwd=tmp_path, env={"VIDCORE_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 0, str(result)
    assert "generating 8 synthetic train videos into" in result.stdout  # plain lines: stdout is not a terminal
    assert "\x1b[" not in result.stdout
    summary = result.stdout[result.stdout.index("run summary:"):].splitlines()
    lines = [line.split(" - INFO - ", 1)[1] for line in summary[1:]]
    (best,) = (tmp_path / "wd").glob("best_acc_top1_epoch_*.pth")
    best_epoch = best.stem.rsplit("_", 1)[1]
    assert re.fullmatch(rf"  best acc/top1: \d\.\d{{4}} at epoch {best_epoch}, checkpoint wd/{best.name}", lines[0])
    assert lines[1] == "  last checkpoint: wd/epoch_2.pth"
    assert re.fullmatch(r"  test: acc/top1 \d\.\d{4}, acc/top5 \d\.\d{4}, acc/mean1 \d\.\d{4}", lines[2])
    assert re.fullmatch(r"  wall time: (\d+ min )?\d+ s", lines[3])
    log = re.fullmatch(r"  work dir: wd \(log (wd/\d{8}_\d{6}/\d{8}_\d{6}\.log)\)", lines[4]).group(1)
    assert "  work dir: wd (log" in (tmp_path / log).read_text()  # the summary is in the log file too


def run_in_terminal(cwd: Path, *args: str) -> tuple[int, str]:
    """`vidcore ARGS` with a pseudo-terminal as stdout and stderr, as in an interactive shell."""
    main, child = pty.openpty()
    env = {**os.environ, "VIDCORE_CACHE_DIR": str(cwd / "cache"), "TERM": "xterm-256color", "COLUMNS": "150"}
    process = subprocess.Popen([str(VIDCORE), *args], cwd=cwd, stdin=subprocess.DEVNULL, stdout=child,
                               stderr=child, env=env)
    os.close(child)
    output = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(main)
    return process.wait(timeout=300), output.decode(errors="replace")


def test_progress_bars_on_a_terminal(tmp_path: Path):
    status, output = run_in_terminal(tmp_path, "run", DEMO, "--work-dir", "wd", "--cfg-options", *TINY,
                                     "train_cfg.max_epochs=1")
    assert status == 0, output[-3000:]
    assert "\x1b[" in output  # styled for a terminal
    output = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output)
    for description in ("synthetic train videos", "synthetic val videos", "epoch 1/1", "val", "test"):
        assert re.search(rf"{re.escape(description)} +{BAR}", output), description
    assert "run summary:" in output
