"""Resuming continues exactly: N epochs in one go equal N/2 + resume + N/2, bit for bit on CPU."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from vidcore.checkpoint import load_checkpoint
from vidcore.errors import CheckpointError
from vidcore.hooks import Hook
from vidcore.runner import Runner
from vidcore_runner_toys import make_cfg, model_weights, read_json_lines


class StopAfter(Hook):
    """Simulates an interruption: stops training once `count` epochs (or iterations) are done."""

    priority = "LOWEST"

    def __init__(self, count: int, by_epoch: bool = True) -> None:
        self.count = count
        self.by_epoch = by_epoch

    def after_train_epoch(self, runner):
        if self.by_epoch and runner.epoch + 1 >= self.count:
            runner.train_loop.stop_training = True

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if not self.by_epoch and runner.iter + 1 >= self.count:
            runner.train_loop.stop_training = True


EPOCH_CFG = {
    "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": 4, "val_interval": 1},
    "param_scheduler": [{"type": "LinearLR", "start_factor": 0.2, "by_epoch": False, "end": 5},
                        {"type": "CosineAnnealingLR", "T_max": 4, "eta_min": 0.001}],
    "default_hooks": {"logger": {"interval": 3},
                      "checkpoint": {"interval": 1, "save_best": "auto", "max_keep_ckpts": 3}},
    "custom_hooks": [{"type": "EMAHook", "momentum": 0.1}],
}


def train(registry, work_dir: Path, stop_after: int | None = None, **overrides) -> Runner:
    runner = Runner(make_cfg(work_dir, **{**EPOCH_CFG, **overrides}), registry=registry)
    if stop_after is not None:
        runner.register_hook(StopAfter(stop_after, by_epoch=runner.cfg["train_cfg"]["type"] == "EpochBasedTrainLoop"))
    runner.train()
    return runner


def assert_same_weights(left: dict[str, torch.Tensor], right: dict[str, torch.Tensor]) -> None:
    assert left.keys() == right.keys()
    for key in left:
        assert torch.equal(left[key], right[key]), key


def test_epoch_based_resume_is_exact(registry, tmp_path: Path):
    whole = train(registry, tmp_path / "whole")
    train(registry, tmp_path / "split", stop_after=2)
    assert (tmp_path / "split" / "epoch_2.pth").is_file()
    assert not (tmp_path / "split" / "epoch_3.pth").exists()
    resumed = train(registry, tmp_path / "split", resume=True)

    assert resumed.epoch == whole.epoch == 4
    assert_same_weights(model_weights(resumed), model_weights(whole))
    assert resumed.optim_wrapper.param_groups[0]["lr"] == whole.optim_wrapper.param_groups[0]["lr"]
    assert_same_weights(resumed.hooks[[type(h).__name__ for h in resumed.hooks].index("EMAHook")].ema.state_dict(),
                        whole.hooks[[type(h).__name__ for h in whole.hooks].index("EMAHook")].ema.state_dict())
    # the logged losses after the interruption match those of the uninterrupted run
    def train_losses(work_dir):
        return [(line["iter"], line["loss"]) for line in read_json_lines(work_dir) if line["mode"] == "train"]
    assert train_losses(tmp_path / "split")[-4:] == train_losses(tmp_path / "whole")[-4:]


def test_best_checkpoint_state_survives_resume(registry, tmp_path: Path):
    whole = train(registry, tmp_path / "whole")
    train(registry, tmp_path / "split", stop_after=2)
    resumed = train(registry, tmp_path / "split", resume=True)
    best = [h for h in resumed.hooks if type(h).__name__ == "CheckpointHook"][0]
    reference = [h for h in whole.hooks if type(h).__name__ == "CheckpointHook"][0]
    assert (best.best_score, Path(best.best_path).name) == (reference.best_score, Path(reference.best_path).name)
    best_files = sorted(p.name for p in (tmp_path / "split").glob("best_*.pth"))
    assert best_files == [Path(reference.best_path).name]
    # the best checkpoint holds the weights for test/infer, not the optimizer state only resuming needs
    state = load_checkpoint(best.best_path)
    assert {"state_dict", "meta", "hooks"} <= set(state) and not {"optimizer", "param_schedulers"} & set(state)
    assert state["hooks"]["CheckpointHook"]["best_path"] == Path(best.best_path).name  # a name in the checkpoint folder


def test_iteration_based_resume_mid_epoch_is_exact(registry, tmp_path: Path):
    overrides = {
        "train_cfg": {"type": "IterBasedTrainLoop", "max_iters": 14, "val_interval": 5},
        "param_scheduler": [{"type": "MultiStepLR", "milestones": [4, 9], "gamma": 0.5}],
        "default_hooks": {"logger": {"interval": 3}, "checkpoint": {"interval": 5}},
        "custom_hooks": [],
    }
    whole = train(registry, tmp_path / "whole", **overrides)
    train(registry, tmp_path / "split", stop_after=7, **overrides)  # checkpoint at iteration 5: mid-epoch (6/epoch)
    state = load_checkpoint(tmp_path / "split" / "iter_5.pth")
    assert state["loop"]["iter"] == 5 and state["loop"]["inner_iter"] == 5 and state["meta"]["iter"] == 5
    resumed = train(registry, tmp_path / "split", resume=str(tmp_path / "split" / "iter_5.pth"), **overrides)
    assert resumed.iter == whole.iter == 14
    assert_same_weights(model_weights(resumed), model_weights(whole))


def test_resume_true_without_checkpoint_starts_fresh(registry, tmp_path: Path):
    runner = train(registry, tmp_path / "fresh", resume=True, train_cfg={"type": "EpochBasedTrainLoop",
                                                                         "max_epochs": 1})
    assert runner.epoch == 1


def test_resume_from_missing_file_is_a_checkpoint_error(registry, tmp_path: Path):
    with pytest.raises(CheckpointError, match=r"missing\.pth: checkpoint file not found"):
        train(registry, tmp_path / "run", resume=str(tmp_path / "missing.pth"))


def test_resume_into_a_different_model_fails_and_keeps_existing_files(registry, tmp_path: Path):
    train(registry, tmp_path / "run", train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 1})
    files_before = {p.name: p.stat().st_size for p in (tmp_path / "run").glob("*.pth")}
    with pytest.raises(CheckpointError, match=r"epoch_1\.pth: does not fit ToyModel: .*shape mismatch"):
        train(registry, tmp_path / "run", resume=True, model={"type": "ToyModel", "hidden": 5})
    assert {p.name: p.stat().st_size for p in (tmp_path / "run").glob("*.pth")} == files_before
    assert (tmp_path / "run" / "last_checkpoint").read_text().endswith("epoch_1.pth")


def test_load_from_loads_weights_only(registry, tmp_path: Path):
    first = train(registry, tmp_path / "first", train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 1},
                  custom_hooks=[])
    runner = Runner(make_cfg(tmp_path / "second", load_from=str(tmp_path / "first" / "epoch_1.pth"),
                             train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 1}), registry=registry)
    runner.val()
    assert_same_weights(model_weights(runner), model_weights(first))
    assert runner.train_loop is None and runner.optim_wrapper is None  # no training state restored
    assert (runner.epoch, runner.iter) == (1, 6)  # what the validated checkpoint had trained, for the logs


ITER_CFG = {
    "train_cfg": {"type": "IterBasedTrainLoop", "max_iters": 14, "val_interval": 5},
    "param_scheduler": [{"type": "MultiStepLR", "milestones": [4, 9], "gamma": 0.5}],
    "default_hooks": {"logger": {"interval": 3}, "checkpoint": {"interval": 5}},
    "custom_hooks": [],
}


def with_workers(num_workers: int, persistent: bool) -> dict:
    """The toy train loader (augmentation drawn from the global generators) read by worker processes."""
    from vidcore_runner_toys import BASE_CFG

    loader = dict(BASE_CFG["train_dataloader"], num_workers=num_workers, persistent_workers=persistent)
    return {"train_dataloader": loader}


@pytest.mark.parametrize("persistent", [False, True])
def test_resume_mid_epoch_with_workers_is_exact(registry, tmp_path: Path, persistent: bool):
    overrides = {**ITER_CFG, **with_workers(2, persistent)}
    whole = train(registry, tmp_path / "whole", **overrides)
    train(registry, tmp_path / "split", stop_after=7, **overrides)  # checkpoint at iteration 5: mid-epoch
    resumed = train(registry, tmp_path / "split", resume=str(tmp_path / "split" / "iter_5.pth"), **overrides)
    assert resumed.iter == whole.iter == 14
    assert_same_weights(model_weights(resumed), model_weights(whole))


def test_epoch_resume_with_persistent_workers_is_exact_and_workers_do_not_change_the_data(registry, tmp_path):
    whole = train(registry, tmp_path / "whole", **with_workers(2, True))
    train(registry, tmp_path / "split", stop_after=2, **with_workers(2, True))
    resumed = train(registry, tmp_path / "split", resume=True, **with_workers(2, True))
    assert_same_weights(model_weights(resumed), model_weights(whole))
    # each sample's augmentation depends on the seed, epoch and its position, not on which worker made it
    one_worker = train(registry, tmp_path / "one", **with_workers(1, False))
    assert_same_weights(model_weights(one_worker), model_weights(whole))


def test_resuming_a_finished_iteration_run_trains_nothing_and_says_so(registry, tmp_path: Path, capsys):
    finished = train(registry, tmp_path / "run", **ITER_CFG)
    assert not finished.training_complete
    last = tmp_path / "run" / "iter_14.pth"
    written = last.stat().st_mtime_ns
    capsys.readouterr()
    again = train(registry, tmp_path / "run", resume=True, **ITER_CFG)
    assert again.training_complete and again.iter == 14
    assert_same_weights(model_weights(again), model_weights(finished))
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "training is complete: " in line]
    assert line.endswith("iter_14.pth is at iteration 14 and train_cfg.max_iters is 14; to train longer, "
                         "raise train_cfg.max_iters and resume")
    assert last.stat().st_mtime_ns == written and not (tmp_path / "run" / "iter_15.pth").exists()
    longer = train(registry, tmp_path / "run", resume=True, **{**ITER_CFG, "train_cfg": {**ITER_CFG["train_cfg"],
                                                                                          "max_iters": 15}})
    assert not longer.training_complete and longer.iter == 15
