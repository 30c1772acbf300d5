"""Crash safety: a training run survives SIGKILL at any moment (also in the middle of a checkpoint write),
SIGINT/SIGTERM stop it cleanly, and resuming always ends exactly where an uninterrupted run ends.

The subprocess test runs a few kills of benchmarks/crash_resume.py's harness (the benchmark runs many);
the in-process tests cover what a kill can leave behind: a damaged newest checkpoint, `last_checkpoint`
naming a missing file, leftover temp files, and the signal behaviour of the runner and the CLI.
"""

from __future__ import annotations

import importlib.util
import os
import random
import signal
import sys
from pathlib import Path

import pytest
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "bad_inputs"))

import reliability_toys  # noqa: E402,F401  (puts the runner tests' toys on sys.path)
from vidcore.checkpoint import load_checkpoint  # noqa: E402
from vidcore.errors import CheckpointError  # noqa: E402
from vidcore.runner import Runner  # noqa: E402
from vidcore.runner._interrupt import TrainingInterrupted  # noqa: E402
from vidcore_runner_toys import make_cfg, make_registry, model_weights  # noqa: E402

_spec = importlib.util.spec_from_file_location("crash_resume", HERE.parent / "benchmarks" / "crash_resume.py")
crash = importlib.util.module_from_spec(_spec)
sys.modules["crash_resume"] = crash  # dataclasses look their module up there
_spec.loader.exec_module(crash)

pytestmark = pytest.mark.slow


# --- SIGKILL / SIGTERM in a subprocess: the real CLI, deterministic CPU training ---------------------------
def test_kills_mid_write_and_at_random_and_sigterm_lose_nothing(tmp_path: Path):
    reference, run = crash.train_reference(tmp_path / "reference", "epoch", wait=False)  # trains meanwhile
    try:
        result = crash.campaign(tmp_path / "campaign", "epoch", ["mid_write", "sigterm", "random"],
                                random.Random(20261121), reference, step=3, reference_ready=lambda: crash.finish(run))
    finally:
        run.send(signal.SIGKILL)
    assert result.kills == 2 and result.signal_stops == 1, result
    assert result.mid_write_kills >= 1, "no kill left a checkpoint temp file behind"
    assert result.problems == []
    assert result.damaged_last_checkpoint == 0 and result.fallbacks == 0
    assert result.temp_files_left == 0, "leftover temp files were not cleaned"
    assert result.differences == [], "the resumed run does not equal the uninterrupted one"


def test_a_copied_then_moved_work_dir_resumes_exactly_and_the_original_is_left_alone(tmp_path: Path):
    reference, run = crash.train_reference(tmp_path / "reference", "iter", wait=False)
    try:
        result = crash.campaign(tmp_path / "campaign", "iter", ["mid_write", "random"], random.Random(16), reference,
                                step=4, reference_ready=lambda: crash.finish(run), relocations=("copy", "move"))
    finally:
        run.send(signal.SIGKILL)
    assert result.kills == 2 and result.relocated == 2, result
    assert result.problems == [], "the original of the copied work dir changed"
    assert result.damaged_last_checkpoint == 0 and result.fallbacks == 0
    assert result.differences == [], "the resumed run does not equal the uninterrupted one"


# --- in-process: what a kill or signal leaves behind, and how resume deals with it --------------------------
CFG = {
    "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": 2},
    "param_scheduler": [{"type": "LinearLR", "start_factor": 0.2, "by_epoch": False, "end": 4}],
    "default_hooks": {"logger": {"interval": 100}, "checkpoint": {"by_epoch": False, "interval": 1}},
}


def train(work_dir: Path, *, hooks=(), **overrides) -> Runner:
    runner = Runner(make_cfg(work_dir, **{**CFG, **overrides}), registry=make_registry())
    for hook in hooks:
        runner.register_hook(hook)
    runner.train()
    return runner


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict[str, torch.Tensor]:
    return model_weights(train(tmp_path_factory.mktemp("whole") / "run"))


def assert_same(left: dict[str, torch.Tensor], right: dict[str, torch.Tensor]) -> None:
    assert left.keys() == right.keys()
    for key in left:
        assert torch.equal(left[key], right[key]), key


def stopped_at(work_dir: Path, iteration: int, **overrides) -> None:
    """Train until a SIGTERM after `iteration` stops the run."""
    with pytest.raises(TrainingInterrupted):
        train(work_dir, hooks=[reliability_toys.SignalSelfHook(iteration)], **overrides)


def test_sigterm_mid_epoch_saves_the_position_and_resume_continues_exactly(tmp_path: Path, uninterrupted):
    sparse = {**CFG["default_hooks"], "checkpoint": {"by_epoch": False, "interval": 1000}}
    with pytest.raises(TrainingInterrupted) as stop:
        train(tmp_path / "run", hooks=[reliability_toys.SignalSelfHook(8)], default_hooks=sparse)
    assert stop.value.exit_status == 143
    assert str(stop.value) == (f"interrupted by SIGTERM after iteration 8 (epoch 2: 2 of 6 batches done): saved "
                               f"{tmp_path / 'run' / 'iter_8.pth'}; continue with --resume")
    saved = load_checkpoint(tmp_path / "run" / "iter_8.pth")
    assert (saved["loop"]["epoch"], saved["loop"]["iter"], saved["loop"]["inner_iter"]) == (1, 8, 2)
    assert (tmp_path / "run" / "last_checkpoint").read_text().endswith("iter_8.pth")
    resumed = train(tmp_path / "run", resume=True, default_hooks=sparse)
    assert resumed.iter == 12
    assert_same(model_weights(resumed), uninterrupted)


def test_sigint_at_the_end_of_an_epoch_and_a_second_signal(tmp_path: Path, uninterrupted):
    handler_before = signal.getsignal(signal.SIGINT)  # SIG_IGN, not Python's default, in a job started with `&`
    with pytest.raises(TrainingInterrupted) as stop:
        train(tmp_path / "run", hooks=[reliability_toys.SignalSelfHook(6, "SIGINT")])
    # the epoch's last iteration: the stop waits for the epoch's end and validation, whose checkpoint it keeps
    assert stop.value.exit_status == 130
    assert str(stop.value).startswith("interrupted by SIGINT after iteration 6 (end of epoch 1): saved ")
    assert load_checkpoint(tmp_path / "run" / "iter_6.pth")["loop"] == {**load_checkpoint(
        tmp_path / "run" / "iter_6.pth")["loop"], "epoch": 1, "iter": 6, "inner_iter": 0}
    with pytest.raises(TrainingInterrupted) as stop:  # a second signal stops at once, inside the hook
        train(tmp_path / "run", resume=True, hooks=[reliability_toys.SignalSelfHook(9, "SIGTERM", times=2)])
    assert str(stop.value).startswith("stopped at once by a second SIGTERM")
    assert load_checkpoint(tmp_path / "run" / "iter_9.pth")["loop"]["iter"] == 9
    assert_same(model_weights(train(tmp_path / "run", resume=True)), uninterrupted)
    assert signal.getsignal(signal.SIGINT) == handler_before  # handlers restored after training


def test_a_stop_during_the_last_validation_ends_the_run_without_a_test_phase(tmp_path: Path, uninterrupted):
    with pytest.raises(TrainingInterrupted) as stop:
        train(tmp_path / "run", hooks=[reliability_toys.SignalSelfHook(12)])
    assert str(stop.value) == "interrupted by SIGTERM as training finished (iteration 12); its checkpoints are complete"
    assert load_checkpoint(tmp_path / "run" / "iter_12.pth")["loop"]["epoch"] == 2


def test_damaged_newest_checkpoint_falls_back_to_the_previous_one(tmp_path: Path, uninterrupted, capsys):
    work_dir = tmp_path / "run"
    stopped_at(work_dir, 7)
    newest = work_dir / "iter_7.pth"
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])  # truncated
    resumed = train(work_dir, resume=True)
    warning = [line for line in capsys.readouterr().out.splitlines() if "previous good checkpoint" in line]
    assert len(warning) == 1
    assert f"resume: {newest}: not a readable checkpoint" in warning[0]
    assert warning[0].endswith(f"resuming from the previous good checkpoint {work_dir / 'iter_6.pth'} instead")
    assert_same(model_weights(resumed), uninterrupted)


def test_last_checkpoint_naming_a_missing_file(tmp_path: Path, uninterrupted, capsys):
    work_dir = tmp_path / "run"
    stopped_at(work_dir, 5)
    (work_dir / "iter_5.pth").unlink()
    resumed = train(work_dir, resume=True)
    out = capsys.readouterr().out
    assert (f"resume: {work_dir / 'iter_5.pth'} (named in {work_dir / 'last_checkpoint'}) does not exist; "
            f"resuming from the previous good checkpoint {work_dir / 'iter_4.pth'} instead") in out
    assert_same(model_weights(resumed), uninterrupted)


def test_missing_last_checkpoint_resumes_from_the_newest_checkpoint(tmp_path: Path, uninterrupted, capsys):
    work_dir = tmp_path / "run"
    stopped_at(work_dir, 3)
    (work_dir / "last_checkpoint").unlink()  # a kill between the checkpoint's rename and this record
    resumed = train(work_dir, resume=True)
    assert "resuming from the previous good checkpoint" in capsys.readouterr().out
    assert_same(model_weights(resumed), uninterrupted)


def test_no_loadable_checkpoint_is_one_clear_error(tmp_path: Path):
    work_dir = tmp_path / "run"
    stopped_at(work_dir, 2)
    for path in work_dir.glob("iter_*.pth"):
        path.write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match=r"^resume: no loadable checkpoint in .*iter_2\.pth: not a readable"):
        train(work_dir, resume=True)
    assert (work_dir / "iter_2.pth").read_bytes() == b"garbage"  # nothing was overwritten


def test_temp_files_of_killed_writes_are_never_read_and_are_removed(tmp_path: Path, uninterrupted, capsys):
    work_dir = tmp_path / "run"
    stopped_at(work_dir, 4)
    leftovers = [work_dir / ".iter_5.pth.x1y2z3.tmp", work_dir / ".last_checkpoint.tmp",
                 work_dir / ".best_acc_top1_iter_5.pth.tmp"]
    for path in leftovers:
        path.write_bytes(b"half a checkpoint")
    resumed = train(work_dir, resume=True)
    assert "removed 3 temp file(s) left by interrupted checkpoint writes" in capsys.readouterr().out
    assert not any(path.exists() for path in leftovers)
    assert_same(model_weights(resumed), uninterrupted)


def test_the_cli_prints_one_line_and_exits_130_on_sigint(tmp_path: Path, monkeypatch, capsys):
    """In-process through `vidcore.cli._main.main`, the same path as the command line."""
    from vidcore.cli._main import main
    from vidcore.plugins import reset_default_registry

    (tmp_path / "cfg.yaml").write_text(
        "custom_imports: {imports: [reliability_toys]}\n"
        "model: {type: ToyModel}\n"
        "train_dataloader: {batch_size: 4, dataset: {type: ToyDataset, size: 16}}\n"
        "optim_wrapper: {optimizer: {type: SGD, lr: 0.1}}\n"
        "train_cfg: {type: EpochBasedTrainLoop, max_epochs: 2}\n"
        "default_hooks: {logger: {interval: 100}, checkpoint: {interval: 1}}\n"
        "custom_hooks: [{type: SignalSelfHook, iteration: 3, signal_name: SIGINT}]\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VIDCORE_PLUGINS", "")
    monkeypatch.delitem(sys.modules, "reliability_toys")  # importing it again registers into the new registry
    reset_default_registry()
    try:
        status = main(["run", "cfg.yaml", "--work-dir", "wd"])
    finally:
        reset_default_registry()
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 130
    assert lines == ["vidcore: interrupted by SIGINT after iteration 3 (epoch 1: 3 of 4 batches done): saved "
                     "wd/iter_3.pth; continue with --resume"]
    assert load_checkpoint(tmp_path / "wd" / "iter_3.pth")["loop"]["iter"] == 3
    assert os.path.exists(tmp_path / "wd" / "last_checkpoint")
