"""The TSN demo under `torchrun --nproc_per_node 2` on CPU, through the `vidcore` CLI as docs/distributed.md
shows it: the packaged runtime's backend follows the device (gloo here), rank 0 alone writes the work dir,
and the job resumes. nccl chosen on a machine without CUDA is one clear line naming the config key."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from demo_budget import DEMO, TINY

TORCHRUN = shutil.which("torchrun", path=str(Path(sys.executable).parent))
VIDCORE = Path(sys.executable).with_name("vidcore")
LIMIT_S = 240
# Two videos per rank and batch (batch 2 per rank, the tiny budget's batch of 4 in all).
BATCH = "train_dataloader.batch_size=2"

pytestmark = [pytest.mark.slow, pytest.mark.skipif(TORCHRUN is None, reason="torchrun is not installed")]


def environment(cache: Path) -> dict[str, str]:
    return {**os.environ, "CUDA_VISIBLE_DEVICES": "", "VIDCORE_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1"}


def torchrun(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([TORCHRUN, "--standalone", "--nproc_per_node", "2", "--no-python", str(VIDCORE), "run",
                           DEMO, "--work-dir", "wd", *args], cwd=cwd, env=environment(cwd / "cache"),
                          capture_output=True, text=True, timeout=LIMIT_S)


def test_the_demo_trains_on_two_cpu_processes_and_resumes(tmp_path: Path):
    result = torchrun(tmp_path, "--cfg-options", *TINY, BATCH, "train_cfg.max_epochs=2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "train on cpu (world size 2, gloo)" in result.stdout
    work_dir = tmp_path / "wd"
    assert Path((work_dir / "last_checkpoint").read_text().strip()).name == "epoch_2.pth"
    assert len(list(work_dir.glob("best_acc_top1_epoch_*.pth"))) == 1
    (log_dir,) = [path for path in work_dir.iterdir() if path.is_dir()]  # one run folder: rank 0's only
    assert len(list(log_dir.glob("*.log"))) == 1

    resumed = torchrun(tmp_path, "--resume", "--cfg-options", *TINY, BATCH, "train_cfg.max_epochs=3")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed from" in resumed.stdout and "(end of epoch 2)" in resumed.stdout
    assert "epoch_2.pth: continuing after iteration" in resumed.stdout
    assert Path((work_dir / "last_checkpoint").read_text().strip()).name == "epoch_3.pth"


def test_nccl_without_cuda_is_one_line_naming_the_key(tmp_path: Path):
    """As each rank sees it (exit 2), and as torchrun reports it (the root cause)."""
    option = ("--cfg-options", "env_cfg.dist_cfg.backend=nccl")
    rank = subprocess.run([str(VIDCORE), "run", DEMO, "--work-dir", "wd", *option], cwd=tmp_path,
                          env={**environment(tmp_path / "cache"), "WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "0"},
                          capture_output=True, text=True, timeout=LIMIT_S)
    assert rank.returncode == 2
    assert rank.stderr.strip() == (
        "vidcore: error: --cfg-options: env_cfg.dist_cfg.backend: nccl needs CUDA, which this machine does not "
        "have; use gloo, or auto (nccl with CUDA, gloo without)")
    job = torchrun(tmp_path, *option)
    assert job.returncode != 0
    root_cause = job.stderr.split("Root Cause (first observed failure):")[1]
    assert "exitcode  : 2" in root_cause and "env_cfg.dist_cfg.backend: nccl needs CUDA" in root_cause
    assert "set_device" not in job.stderr and "vidcore/dist.py" not in job.stderr  # no traceback of a rank
    assert not (tmp_path / "wd").exists()
