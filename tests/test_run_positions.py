"""The training position as a user reads it through the `vidcore` CLI: a stop and the resume that follows
name the same point in the same words, resuming a finished run says so instead of testing again, testing an
epoch-N checkpoint logs epoch N, TensorBoard plots curves, not the bare epoch and iteration counters, and the
checkpoints hold what they are for (docs/runner.md, "What a checkpoint holds")."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from demo_budget import DEMO, TINY
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from vidcore.checkpoint import load_checkpoint
from vidcore_testing import CliResult, run_vidcore

HERE = Path(__file__).resolve().parent
TOYS = [HERE / "bad_inputs", HERE.parent / "packages" / "vidcore" / "tests" / "runner"]  # SignalSelfHook
BACKENDS = "visualizer.vis_backends=[{type: LocalVisBackend}, {type: TensorboardVisBackend, flush_secs: 1}]"
SHORT = [*TINY, "train_cfg.max_epochs=2", BACKENDS]  # 2 epochs of 2 iterations

pytestmark = pytest.mark.slow


class Runs:
    """The CLI runs of one work dir, in order: stopped by SIGINT, resumed to the end, resumed once more, tested."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {"VIDCORE_CACHE_DIR": str(root / "cache")}

    def vidcore(self, *args: str, **kwargs) -> CliResult:
        return run_vidcore(*args, cwd=self.root, env=self.env, **kwargs)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    runs = Runs(tmp_path_factory.mktemp("positions"))
    runs.stopped = runs.vidcore(
        "run", DEMO, "--work-dir", "wd", "--cfg-options", *SHORT, "custom_imports.imports=[reliability_toys]",
        "custom_hooks=[{type: SignalSelfHook, iteration: 3, signal_name: SIGINT}]", pythonpath=TOYS)
    runs.resumed = runs.vidcore("run", DEMO, "--work-dir", "wd", "--resume", "--cfg-options", *SHORT)
    runs.epoch_2_written = (runs.root / "wd" / "epoch_2.pth").stat().st_mtime_ns
    runs.complete = runs.vidcore("run", DEMO, "--work-dir", "wd", "--resume", "--cfg-options", *SHORT)
    runs.tested = runs.vidcore("test", DEMO, "wd/epoch_2.pth", "--work-dir", "wd", "--cfg-options", *TINY)
    return runs


def test_the_stop_and_the_resume_name_the_same_point_in_the_same_words(runs: Runs):
    assert runs.stopped.returncode == 130, str(runs.stopped)
    stop = re.search(r"^vidcore: interrupted by SIGINT (after .+): saved wd/iter_3\.pth; continue with --resume$",
                     runs.stopped.stderr, re.MULTILINE)
    assert stop is not None, runs.stopped.stderr
    assert stop.group(1) == "after iteration 3 (epoch 2: 1 of 2 batches done)"
    assert runs.resumed.returncode == 0, str(runs.resumed)
    resume = re.search(r" - INFO - resumed from \S*wd/iter_3\.pth: continuing (after .+)$", runs.resumed.stdout,
                       re.MULTILINE)
    assert resume is not None, runs.resumed.stdout
    assert resume.group(1) == stop.group(1)
    assert "Epoch(train) [2][2/2]" in runs.resumed.stdout and "Epoch(train) [2][1/2]" not in runs.resumed.stdout


def test_resuming_a_finished_run_says_training_is_complete_and_runs_nothing(runs: Runs):
    result = runs.complete
    assert result.returncode == 0, str(result)
    lines = [line.split(" - INFO - ", 1)[1] for line in result.stdout.splitlines() if " - INFO - " in line]
    assert re.fullmatch(r"training is complete: \S*wd/epoch_2\.pth is at epoch 2 and train_cfg\.max_epochs is 2; "
                        r"to train longer, raise train_cfg\.max_epochs and resume", lines[-1]), lines
    assert not any(line.startswith(("Epoch(", "resumed from", "run summary")) for line in lines), lines
    assert (runs.root / "wd" / "epoch_2.pth").stat().st_mtime_ns == runs.epoch_2_written  # nothing rewritten


def test_testing_an_epoch_2_checkpoint_logs_epoch_2(runs: Runs):
    assert runs.tested.returncode == 0, str(runs.tested)
    assert re.search(r" - INFO - Epoch\(test\) \[2\]\[1/1\]  acc/top1: ", runs.tested.stdout), runs.tested.stdout
    newest_run = sorted((runs.root / "wd").glob("2*/vis_data/scalars.json"))[-1]
    (record,) = [json.loads(line) for line in newest_run.read_text().splitlines()]
    assert (record["mode"], record["epoch"], record["iter"], record["step"]) == ("test", 2, 4, 4)


def test_tensorboard_logs_curves_but_not_the_bare_epoch_and_iteration(runs: Runs):
    event_dirs = sorted({path.parent for path in (runs.root / "wd").glob("2*/vis_data/events.out.tfevents.*")})
    assert len(event_dirs) >= 2  # the stopped run and the resumed one
    tags: set[str] = set()
    for folder in event_dirs:
        events = EventAccumulator(str(folder), size_guidance={"scalars": 0})
        events.Reload()
        tags |= set(events.Tags()["scalars"])
    assert {"train/loss", "train/lr", "val/acc/top1", "test/acc/top1"} <= tags
    assert not tags & {"epoch", "iter"}, sorted(tags)


def tensor_bytes(value) -> int:
    if hasattr(value, "element_size"):
        return value.element_size() * value.numel()
    if isinstance(value, dict):
        return sum(tensor_bytes(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return sum(tensor_bytes(item) for item in value)
    return 0


def test_checkpoints_are_weights_and_optimizer_state_and_the_best_one_weights_only(runs: Runs):
    """TSN-R18 with AdamW: a periodic checkpoint is the weights and twice their size in optimizer state (all
    needed for an exact resume) and under 256 KB of anything else (the config, RNG states, the file format);
    the best checkpoint leaves the optimizer out."""
    periodic_path = runs.root / "wd" / "epoch_2.pth"
    (best_path,) = (runs.root / "wd").glob("best_acc_top1_epoch_*.pth")
    periodic, best = load_checkpoint(periodic_path), load_checkpoint(best_path)
    weights, optimizer = tensor_bytes(periodic["state_dict"]), tensor_bytes(periodic["optimizer"])
    assert weights > 40e6 and optimizer == pytest.approx(2 * weights, rel=0.01)
    assert 0 < periodic_path.stat().st_size - weights - optimizer < 256 * 1024
    assert "optimizer" not in best and "param_schedulers" not in best
    assert 0 < best_path.stat().st_size - tensor_bytes(best["state_dict"]) < 256 * 1024
