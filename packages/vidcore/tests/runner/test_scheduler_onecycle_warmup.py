"""OneCycleLR against torch's, exponential warmup against mmcv's formula, fractional epochs (`end: 2.5`)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from vidcore.errors import BuildError
from vidcore.optim.scheduler import CosineAnnealingLR, ExponentialWarmupLR, LinearLR, OneCycleLR
from vidcore.runner import Runner
from vidcore_runner_toys import make_cfg, read_json_lines

BASE_LR = 0.5


def make_optimizer(groups: int = 1) -> torch.optim.Optimizer:
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": BASE_LR * (index + 1)} for index in range(groups)]
    return torch.optim.SGD(params, lr=BASE_LR, momentum=0.9)


def lr_sequence(optimizer: torch.optim.Optimizer, schedulers: list, steps: int, group: int = 0) -> list[float]:
    values = []
    for _ in range(steps):
        values.append(optimizer.param_groups[group]["lr"])
        for scheduler in schedulers:
            scheduler.step()
    return values


@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("anneal_strategy", ["cos", "linear"])
def test_one_cycle_matches_torch(three_phase, anneal_strategy):
    arguments = {"total_steps": 20, "pct_start": 0.25, "anneal_strategy": anneal_strategy, "div_factor": 10.0,
                 "final_div_factor": 100.0, "three_phase": three_phase}
    reference_optimizer = make_optimizer(groups=2)
    reference = torch.optim.lr_scheduler.OneCycleLR(reference_optimizer, max_lr=[1.0, 3.0], cycle_momentum=False,
                                                    **arguments)
    expected = {group: [] for group in (0, 1)}
    for _ in range(20):
        for group in (0, 1):
            expected[group].append(reference_optimizer.param_groups[group]["lr"])
        reference_optimizer.step()
        reference.step()

    for group in (0, 1):
        optimizer = make_optimizer(groups=2)
        scheduler = OneCycleLR(optimizer, eta_max=[1.0, 3.0], by_epoch=False, **arguments)
        assert lr_sequence(optimizer, [scheduler], 20, group) == pytest.approx(expected[group], rel=1e-12)
    assert expected[1][0] == pytest.approx(0.3) and max(expected[1]) == pytest.approx(3.0)


def test_one_cycle_window_sets_total_steps_and_holds_the_last_value():
    optimizer = make_optimizer()
    scheduler = OneCycleLR(optimizer, max_lr=2.0, begin=2, end=12, pct_start=0.3, by_epoch=False)
    values = lr_sequence(optimizer, [scheduler], 15)
    assert values[:2] == [BASE_LR, BASE_LR]  # before its window the optimizer's lr stands
    assert values[2] == pytest.approx(2.0 / 25) and values[4] == pytest.approx(2.0)
    assert values[11] == pytest.approx(2.0 / 25 / 1e4) and values[12:] == [values[11]] * 3


def test_one_cycle_total_steps_in_epochs_converts_to_iterations():
    scheduler = OneCycleLR(make_optimizer(), eta_max=1.0, total_steps=3, convert_to_iter_based=True, epoch_length=5)
    assert (scheduler.total_steps, scheduler.by_epoch) == (15, False)


@pytest.mark.parametrize("arguments, message", [
    ({"total_steps": 10}, "set eta_max"),
    ({"eta_max": 1.0, "max_lr": 1.0, "total_steps": 10}, "set eta_max"),
    ({"eta_max": [1.0, 2.0], "total_steps": 10}, "2 values for 1 parameter groups"),
    ({"eta_max": 1.0, "total_steps": 10, "anneal_strategy": "cosine"}, "anneal_strategy must be one of"),
    ({"eta_max": 1.0, "total_steps": 10, "pct_start": 1.5}, "pct_start must be between 0 and 1"),
    ({"eta_max": 1.0}, "set total_steps or a finite end"),
])
def test_one_cycle_invalid_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        OneCycleLR(make_optimizer(), **arguments)


def test_exponential_warmup_follows_mmcv_exp_warmup_and_reaches_the_lr():
    optimizer = make_optimizer()
    warmup = ExponentialWarmupLR(optimizer, start_factor=0.01, end=5, by_epoch=False)
    cosine = CosineAnnealingLR(optimizer, T_max=4, begin=5, end=9, by_epoch=False)
    values = lr_sequence(optimizer, [warmup, cosine], 9)
    # mmcv: lr * warmup_ratio ** (1 - t / T); here the window's last step (t = 4) reaches the lr, as LinearLR does
    assert values[:5] == pytest.approx([BASE_LR * 0.01 ** (1 - t / 4) for t in range(5)], rel=1e-12)
    assert values[5:] == pytest.approx([BASE_LR * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(4)])
    with pytest.raises(ValueError, match="start_factor must be in"):
        ExponentialWarmupLR(make_optimizer(), start_factor=0.0, end=5)


def test_fractional_epochs_convert_like_mmengine():
    optimizer = make_optimizer()
    warmup = LinearLR(optimizer, start_factor=0.1, begin=0, end=2.5, convert_to_iter_based=True, epoch_length=3)
    assert (warmup.begin, warmup.end) == (0, 7)  # int(2.5 * 3), as mmengine's build_iter_from_epoch
    expected = [BASE_LR * (0.1 + 0.9 * min(t, 6) / 6) for t in range(9)]
    assert lr_sequence(optimizer, [warmup], 9) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="hold no iteration"):
        LinearLR(make_optimizer(), begin=0, end=0.2, convert_to_iter_based=True, epoch_length=3)


def test_fractional_epochs_without_conversion_are_an_error_naming_the_fix():
    with pytest.raises(ValueError, match=r"end=2.5 is a fraction of an epoch, which needs convert_to_iter_based"):
        LinearLR(make_optimizer(), end=2.5)
    assert LinearLR(make_optimizer(), end=3.0).end == 3


def test_run_with_a_fractional_warmup_and_one_cycle_from_config(registry, tmp_path: Path):
    """6 iterations per epoch, 3 epochs: a 2.5-epoch warmup is 15 iterations, then the cosine's last epoch."""
    cfg = make_cfg(tmp_path / "warmup", train_cfg={"type": "EpochBasedTrainLoop", "max_epochs": 3},
                   val_dataloader=None, val_evaluator=None,
                   default_hooks={"logger": {"interval": 1}, "checkpoint": None},
                   param_scheduler=[{"type": "LinearLR", "start_factor": 0.1, "by_epoch": True, "begin": 0,
                                     "end": 2.5, "convert_to_iter_based": True},
                                    {"type": "MultiStepLR", "milestones": [2], "gamma": 0.5}])
    Runner(cfg, registry=registry).train()
    lrs = [line["lr"] for line in read_json_lines(tmp_path / "warmup") if line["mode"] == "train"]
    warmup = [0.1 * (0.1 + 0.9 * min(t, 14) / 14) for t in range(18)]
    assert lrs == pytest.approx([value * (0.5 if t >= 12 else 1.0) for t, value in enumerate(warmup)], rel=1e-9)

    cfg = make_cfg(tmp_path / "cycle", train_cfg={"type": "IterBasedTrainLoop", "max_iters": 10, "val_interval": 100},
                   val_dataloader=None, val_evaluator=None,
                   default_hooks={"logger": {"interval": 1}, "checkpoint": None},
                   param_scheduler={"type": "OneCycleLR", "eta_max": 0.4, "total_steps": 10})
    Runner(cfg, registry=registry).train()
    lrs = [line["lr"] for line in read_json_lines(tmp_path / "cycle") if line["mode"] == "train"]
    assert lrs[0] == pytest.approx(0.4 / 25) and lrs[2] == pytest.approx(0.4) and lrs[-1] == pytest.approx(0.4 / 25e4)


def test_fractional_end_without_conversion_names_the_key(registry, tmp_path: Path):
    cfg = make_cfg(tmp_path, param_scheduler=[{"type": "LinearLR", "end": 1.5}])
    with pytest.raises(BuildError, match=r"param_scheduler\[0\] \(LinearLR\): .*needs convert_to_iter_based"):
        Runner(cfg, registry=registry).train()
