"""NaN/Inf losses: `train_cfg.nan_policy: raise` stops (exit 2) before any step or checkpoint; `skip_batch`
drops the batch without touching weights, optimizer state or normalisation statistics, and a run of skipped
batches longer than `train_cfg.max_consecutive_nan` is an error; AMP's float16 overflow skips are reported."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from cli_cases import TOY_CONFIG, assert_kept, assert_user_error, snapshot, vidcore
from vidcore.checkpoint import load_checkpoint

pytestmark = pytest.mark.slow


def hooks(text: str) -> str:
    return f"custom_hooks=[{text}]"


def test_nan_loss_raises_naming_the_iteration_and_keeps_every_checkpoint(project: Path):
    before = snapshot(project / "work_dir")
    result = vidcore("run", "toy.yaml", "--work-dir", "work_dir", "--resume", "--cfg-options",
                     "train_cfg.max_epochs=3", hooks("{type: PoisonLossHook, iterations: [10]}"), cwd=project)
    line = assert_user_error(result, "toy.yaml: train_cfg.nan_policy=raise: non-finite loss at iteration 10 "
                                     "(epoch 3, batch 2 of 4) (loss=nan, loss_cls=nan",
                             "no checkpoint was written for it", "train_cfg.nan_policy: skip_batch")
    assert "Traceback" in "".join(p.read_text() for p in (project / "work_dir").glob("*/*.log"))  # in the log only
    assert_kept(project / "work_dir", before, replaced=("toy.yaml",))
    assert not list((project / "work_dir").glob("epoch_3.pth")), line


def test_nan_under_amp_float16_raises_naming_its_iteration(tmp_path: Path):
    (tmp_path / "toy.yaml").write_text(TOY_CONFIG)
    result = vidcore("run", "toy.yaml", "--work-dir", "wd", "--amp", "--cfg-options", "optim_wrapper.dtype=float16",
                     hooks("{type: PoisonLossHook, iterations: [3]}"), cwd=tmp_path)
    assert_user_error(result, "non-finite loss at iteration 3 (epoch 1, batch 3 of 4)")
    assert not list((tmp_path / "wd").glob("*.pth"))  # it came before the first (epoch) checkpoint


def test_skip_batch_changes_nothing_and_is_counted(tmp_path: Path):
    (tmp_path / "toy.yaml").write_text(TOY_CONFIG)
    result = vidcore("run", "toy.yaml", "--work-dir", "wd", "--cfg-options", "model.type=NormToyModel",
                     "train_cfg.nan_policy=skip_batch", "default_hooks.checkpoint={by_epoch: false, interval: 1}",
                     hooks("{type: PoisonLossHook, iterations: [3, 4]}"), cwd=tmp_path)
    assert result.returncode == 0, result
    warnings = [line for line in result.stdout.splitlines() if "non-finite loss" in line]
    assert len(warnings) == 2
    assert "WARNING - non-finite loss at iteration 3 (epoch 1, batch 3 of 4) (loss=nan" in warnings[0]
    assert "batch skipped, no optimizer step (1 in a row, 1 in total; train_cfg.max_consecutive_nan=10)" in warnings[0]
    assert "(2 in a row, 2 in total" in warnings[1]
    before, after = (load_checkpoint(tmp_path / "wd" / f"iter_{n}.pth") for n in (2, 4))
    for key, value in before["state_dict"].items():  # weights and BatchNorm statistics
        assert torch.equal(after["state_dict"][key], value), key
    assert_equal_tensors(before["optimizer"]["state"], after["optimizer"]["state"])  # momentum buffers
    assert after["loop"]["nan_guard"] == {"skipped": 2, "in_a_row": 2, "amp_skipped": 0}
    final = load_checkpoint(tmp_path / "wd" / "iter_8.pth")
    assert final["loop"]["nan_guard"]["in_a_row"] == 0
    assert torch.isfinite(final["state_dict"]["norm.running_mean"]).all()


def assert_equal_tensors(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for key in left:
        if isinstance(left[key], dict):
            assert_equal_tensors(left[key], right[key])
        else:
            assert torch.equal(left[key], right[key]), key


def test_too_many_skipped_batches_in_a_row_is_an_error(tmp_path: Path):
    (tmp_path / "toy.yaml").write_text(TOY_CONFIG)
    result = vidcore("run", "toy.yaml", "--work-dir", "wd", "--cfg-options", "train_cfg.nan_policy=skip_batch",
                     "train_cfg.max_consecutive_nan=3", hooks("{type: PoisonLossHook, iterations: [2, 3, 4, 5]}"),
                     cwd=tmp_path)
    assert_user_error(result, "train_cfg.nan_policy=skip_batch: 3 batches in a row had a non-finite loss (the last: "
                              "non-finite loss at iteration 4 (epoch 1, batch 4 of 4)",
                      "train_cfg.max_consecutive_nan=3")
    assert not list((tmp_path / "wd").glob("*.pth"))


def test_bad_nan_policy_value(tmp_path: Path):
    (tmp_path / "toy.yaml").write_text(TOY_CONFIG)
    result = vidcore("run", "toy.yaml", "--work-dir", "wd", "--cfg-options", "train_cfg.nan_policy=ignore",
                     cwd=tmp_path)
    assert_user_error(result, "toy.yaml: train_cfg", "nan_policy: expected one of raise, skip_batch, got 'ignore'")


def test_amp_float16_overflow_skips_are_reported(tmp_path: Path):
    (tmp_path / "toy.yaml").write_text(TOY_CONFIG)
    result = vidcore("run", "toy.yaml", "--work-dir", "wd", "--amp", "--cfg-options", "optim_wrapper.dtype=float16",
                     "model.type=NormToyModel", hooks("{type: HugeLossHook, factor: 1.0e+6, until: 2}"), cwd=tmp_path)
    assert result.returncode == 0, result
    reports = [line for line in result.stdout.splitlines() if "GradScaler skipped" in line]
    assert reports, result
    assert "AMP: float16 gradients overflowed at iteration 1 (epoch 1, batch 1 of 4): GradScaler skipped the " \
           "optimizer step (1 so far); loss scale now 32768" in reports[0]
    assert load_checkpoint(tmp_path / "wd" / "epoch_2.pth")["loop"]["nan_guard"]["amp_skipped"] == len(reports)
