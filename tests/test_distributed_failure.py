"""A failing rank under `torchrun --nproc_per_node 2` (gloo, CPU) ends the whole job within a bounded time
with a clear error, and the job resumes afterwards. A test-only hook (FaultHook in
tests/bad_inputs/reliability_toys.py) fails rank 1 before training iteration 3."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "bad_inputs"))

from reliability_toys import toy_env  # noqa: E402
from vidcore.checkpoint import load_checkpoint  # noqa: E402
from vidcore.runner import Runner  # noqa: E402
from vidcore_runner_toys import make_cfg, make_registry, model_weights  # noqa: E402

TORCHRUN = shutil.which("torchrun", path=str(Path(sys.executable).parent))
VIDCORE = Path(sys.executable).with_name("vidcore")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(TORCHRUN is None, reason="torchrun is not installed")]

# batch 2 per rank; without dropout and augmentation noise two ranks train like one process with batch 4
CONFIG = """\
custom_imports: {imports: [reliability_toys]}
model: {type: ToyModel, dropout: 0.0}
train_dataloader:
  batch_size: 2
  sampler: {type: DefaultSampler, shuffle: true}
  dataset: {type: ToyDataset, noise: 0.0}
optim_wrapper: {optimizer: {type: SGD, lr: 0.1, momentum: 0.9}}
train_cfg: {type: EpochBasedTrainLoop, max_epochs: 2}
default_hooks: {logger: {interval: 1}, checkpoint: {by_epoch: false, interval: 1}}
env_cfg: {dist_cfg: {backend: gloo, timeout: 10}}
randomness: {seed: 0}
"""
LIMIT_S = 240  # a hang would run into this; each launch takes ~15 s on a loaded 2-core machine


def torchrun(project: Path, *args: str) -> subprocess.CompletedProcess:
    (project / "ddp.yaml").write_text(CONFIG)
    return subprocess.run([TORCHRUN, "--standalone", "--nproc_per_node", "2", "--no-python", str(VIDCORE), "run",
                           "ddp.yaml", "--work-dir", "wd", *args], cwd=project, env=toy_env(CUDA_VISIBLE_DEVICES=""),
                          capture_output=True, text=True, timeout=LIMIT_S)


def fault(action: str) -> tuple[str, ...]:
    return ("--cfg-options", f"custom_hooks=[{{type: FaultHook, rank: 1, iteration: 3, action: {action}}}]")


def survivor_line(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("vidcore: error: rank 0 of 2: ")]
    assert lines, result.stderr[-3000:]
    return lines[0]


def test_a_killed_rank_stops_the_job_and_the_job_resumes_exactly(tmp_path: Path):
    result = torchrun(tmp_path, *fault("kill"))
    assert result.returncode != 0
    assert "FaultHook: rank 1 fails (kill) at iteration 3" in result.stdout
    assert "exitcode  : -9" in result.stderr and "Signal 9 (SIGKILL)" in result.stderr  # torchrun's root cause
    assert (tmp_path / "wd" / "last_checkpoint").read_text().endswith("iter_2.pth")

    resumed = torchrun(tmp_path, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed from" in resumed.stdout and "iter_2.pth: continuing after iteration 2 " in resumed.stdout
    single = Runner(make_cfg(tmp_path / "single", model={"type": "ToyModel", "dropout": 0.0},
                             train_dataloader={"batch_size": 4, "dataset": {"type": "ToyDataset", "noise": 0.0},
                                               "sampler": {"type": "DefaultSampler", "shuffle": True}},
                             val_dataloader=None, val_evaluator=None), registry=make_registry())
    single.train()
    distributed = load_checkpoint(tmp_path / "wd" / "iter_12.pth")["state_dict"]
    for key, value in model_weights(single).items():
        assert torch.allclose(distributed[key], value, atol=1e-6), key


def test_a_rank_that_raises_stops_the_job_with_its_error_as_the_root_cause(tmp_path: Path):
    result = torchrun(tmp_path, *fault("raise"))
    assert result.returncode != 0
    root_cause = result.stderr.split("Root Cause (first observed failure):")[1]
    assert "rank      : 1" in root_cause and "RuntimeError: injected failure on rank 1" in root_cause
    assert load_checkpoint(tmp_path / "wd" / "iter_2.pth")["loop"]["iter"] == 2  # nothing damaged


def test_a_hung_rank_ends_the_job_after_the_dist_timeout(tmp_path: Path):
    result = torchrun(tmp_path, *fault("hang"))
    assert result.returncode != 0
    line = survivor_line(result)
    assert "a collective operation failed because another process of the job died or hung" in line
    assert "Timed out" in line or "timed out" in line
    # torchrun's summary shows vidcore's line (written to TORCHELASTIC_ERROR_FILE) as the root cause
    root_cause = result.stderr.split("Root Cause (first observed failure):")[1]
    assert "vidcore: error: rank 0 of 2: a collective operation failed" in root_cause


def test_a_nan_loss_on_one_rank_is_skipped_by_all_ranks(tmp_path: Path):
    """`nan_policy: skip_batch` under DDP: the ranks agree, or one would wait forever in the gradient all-reduce."""
    result = torchrun(tmp_path, "--cfg-options", "train_cfg.nan_policy=skip_batch",
                      "custom_hooks=[{type: PoisonLossHook, iterations: [3, 4], rank: 1}]")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "non-finite loss at iteration 3 (epoch 1, batch 3 of 6) (loss=nan" in result.stderr  # rank 1's warning
    assert "non-finite loss on another rank at iteration 3 (epoch 1, batch 3 of 6) (this rank: loss=" \
        in result.stdout  # rank 0's own loss was finite
    final = load_checkpoint(tmp_path / "wd" / "iter_12.pth")
    assert final["loop"]["nan_guard"]["skipped"] == 2  # rank 0 skipped too
    assert all(torch.isfinite(value).all() for value in final["state_dict"].values())


def test_dist_timeout_must_be_a_positive_number(tmp_path: Path):
    (tmp_path / "ddp.yaml").write_text(CONFIG)
    result = subprocess.run([str(VIDCORE), "run", "ddp.yaml", "--cfg-options", "env_cfg.dist_cfg.timeout=soon"],
                            cwd=tmp_path, env=toy_env(), capture_output=True, text=True, timeout=LIMIT_S)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("vidcore: error: --cfg-options: env_cfg.dist_cfg.timeout: expected a positive number of "
                           "seconds, got str 'soon' (1 problem in ")


def test_the_error_file_torchrun_reads_is_valid_json(tmp_path: Path):
    """Outside torchrun the same variable is honoured: one JSON object with the one-line message."""
    (tmp_path / "ddp.yaml").write_text(CONFIG)
    error_file = tmp_path / "error.json"
    result = subprocess.run([str(VIDCORE), "run", "ddp.yaml", "--cfg-options", "model.type=ToyModle"], cwd=tmp_path,
                            env=toy_env(TORCHELASTIC_ERROR_FILE=str(error_file)), capture_output=True, text=True,
                            timeout=LIMIT_S)
    assert result.returncode == 2
    message = json.loads(error_file.read_text())["message"]
    assert message["message"] == result.stderr.strip() and "did you mean 'ToyModel'" in message["message"]
