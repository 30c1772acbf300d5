"""The bad-input corpus: every problem a user can bring, run through the real `vidcore` CLI in a subprocess
(helpers in cli_cases.py; toy components in reliability_toys.py)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_cases import TOY_CONFIG, vidcore  # noqa: E402


@pytest.fixture(scope="session")
def trained_work_dir(tmp_path_factory) -> Path:
    """One real toy training run (2 epochs of 4 iterations): checkpoints, last_checkpoint, logs, config dump."""
    project = tmp_path_factory.mktemp("trained")
    (project / "toy.yaml").write_text(TOY_CONFIG)
    result = vidcore("run", "toy.yaml", "--work-dir", "work_dir", cwd=project)
    assert result.returncode == 0, result
    return project / "work_dir"


@pytest.fixture
def project(tmp_path: Path, trained_work_dir: Path) -> Path:
    """tmp_path holding `toy.yaml` and `work_dir/`, a copy of a finished run (what must be left intact)."""
    (tmp_path / "toy.yaml").write_text(TOY_CONFIG)
    shutil.copytree(trained_work_dir, tmp_path / "work_dir")
    (tmp_path / "work_dir" / "last_checkpoint").write_text(str((tmp_path / "work_dir" / "epoch_2.pth").resolve()))
    return tmp_path
