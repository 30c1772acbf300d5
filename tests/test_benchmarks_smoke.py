"""Every benchmark runs at its `--quick` size and prints one JSON object (a smoke test: no thresholds)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
# crash_resume.py is the harness of tests/test_crash_resume.py, which already runs it at CI size
SCRIPTS = sorted(path.name for path in BENCHMARKS.glob("*.py") if path.name != "crash_resume.py")


def test_every_benchmark_is_covered():
    assert {"startup.py", "pipeline.py", "loader.py", "overhead.py", "memory.py", "train_throughput.py",
            "data_prepare.py"} <= set(SCRIPTS)


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_prints_one_json_object(script, tmp_path):
    result = subprocess.run([sys.executable, str(BENCHMARKS / script), "--quick"], capture_output=True, text=True,
                            timeout=600, cwd=tmp_path, env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout[-2000:]
    report = json.loads(lines[0])
    assert isinstance(report, dict) and report
