"""Parameter schedulers: each lr sequence against its closed form (OneCycleLR against torch's, exponential warmup
against mmcv's formula), windows, fractional epochs, conversion, momentum, resume."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from vidcore.errors import BuildError
from vidcore.optim import OptimWrapper
from vidcore.optim.scheduler import (
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingMomentum,
    CosineRestartLR,
    ExponentialLR,
    ExponentialWarmupLR,
    LinearLR,
    LinearMomentum,
    MultiStepLR,
    OneCycleLR,
    PolyLR,
    StepLR,
)
from vidcore.runner import Runner
from vidcore_runner_toys import make_cfg, read_json_lines

BASE_LR = 0.5


def make_optimizer(lr: float = BASE_LR, kind: str = "sgd", groups: int = 1) -> torch.optim.Optimizer:
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr * (index + 1)} for index in range(groups)]
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999))
    return torch.optim.SGD(params, lr=lr, momentum=0.9)


def lr_sequence(optimizer: torch.optim.Optimizer, schedulers: list, steps: int, group: int = 0) -> list[float]:
    """The lr used at steps 0..steps-1 (each scheduler steps after each step, as the hook does)."""
    values = []
    for _ in range(steps):
        values.append(optimizer.param_groups[group]["lr"])
        for scheduler in schedulers:
            scheduler.step()
    return values


def assert_sequence(actual: list[float], expected: list[float]) -> None:
    assert actual == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_linear_warmup_from_zero_then_holds():
    optimizer = make_optimizer()
    scheduler = LinearLR(optimizer, start_factor=0.0, end_factor=1.0, begin=0, end=5)
    expected = [BASE_LR * t / 4 for t in range(5)] + [BASE_LR] * 3
    assert_sequence(lr_sequence(optimizer, [scheduler], 8), expected)


def test_constant_reverts_at_the_last_step_of_its_window():
    optimizer = make_optimizer()
    scheduler = ConstantLR(optimizer, factor=0.25, end=4)
    assert_sequence(lr_sequence(optimizer, [scheduler], 6), [BASE_LR * 0.25] * 3 + [BASE_LR] * 3)


def test_exponential():
    optimizer = make_optimizer()
    scheduler = ExponentialLR(optimizer, gamma=0.9)
    assert_sequence(lr_sequence(optimizer, [scheduler], 6), [BASE_LR * 0.9**t for t in range(6)])


def test_step_with_min_lr():
    optimizer = make_optimizer()
    scheduler = StepLR(optimizer, step_size=2, gamma=0.1, min_lr=0.004)
    expected = [max(BASE_LR * 0.1 ** (t // 2), 0.004) for t in range(8)]
    assert expected[-1] == 0.004
    assert_sequence(lr_sequence(optimizer, [scheduler], 8), expected)


def test_multistep_counts_from_begin_and_respects_min_lr():
    optimizer = make_optimizer()
    scheduler = MultiStepLR(optimizer, milestones=[2, 4, 4], gamma=0.5, min_lr=0.05, begin=1)
    # steps are counted from begin=1: decays at global steps 3 and 5 (twice at 5, milestone listed twice)
    expected = [BASE_LR, BASE_LR, BASE_LR, BASE_LR * 0.5, BASE_LR * 0.5, max(BASE_LR * 0.125, 0.05), 0.0625]
    assert_sequence(lr_sequence(optimizer, [scheduler], 7), expected)


def test_cosine_annealing_closed_form_with_eta_min():
    optimizer = make_optimizer()
    scheduler = CosineAnnealingLR(optimizer, T_max=10, eta_min=0.01)
    expected = [0.01 + (BASE_LR - 0.01) * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(10)]
    assert_sequence(lr_sequence(optimizer, [scheduler], 10), expected)


def test_cosine_annealing_eta_min_ratio_and_default_t_max_per_group():
    optimizer = make_optimizer(groups=2)
    scheduler = CosineAnnealingLR(optimizer, eta_min_ratio=0.1, begin=2, end=8)
    for group in range(2):
        base = BASE_LR * (group + 1)
        eta_min = base * 0.1
        expected = [base, base] + [eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / 6)) / 2 for t in range(6)]
        expected += [expected[-1]] * 2  # holds the last in-window value after `end`
        optimizer_copy = make_optimizer(groups=2)
        copy = CosineAnnealingLR(optimizer_copy, eta_min_ratio=0.1, begin=2, end=8)
        assert_sequence(lr_sequence(optimizer_copy, [copy], 10, group=group), expected)
    assert scheduler.T_max == 6


def test_cosine_restart():
    optimizer = make_optimizer()
    scheduler = CosineRestartLR(optimizer, periods=[4, 6], restart_weights=[1.0, 0.5], eta_min=0.0)
    expected = [BASE_LR * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(4)]
    expected += [0.5 * BASE_LR * (1 + math.cos(math.pi * t / 6)) / 2 for t in range(6)]
    expected += [expected[-1]] * 2
    assert_sequence(lr_sequence(optimizer, [scheduler], 12), expected)


def test_poly():
    optimizer = make_optimizer()
    scheduler = PolyLR(optimizer, eta_min=0.001, power=2.0, end=6)
    expected = [0.001 + (BASE_LR - 0.001) * (1 - t / 5) ** 2 for t in range(6)] + [0.001] * 2
    assert_sequence(lr_sequence(optimizer, [scheduler], 8), expected)


def test_warmup_then_cosine_composes_like_mmengine():
    optimizer = make_optimizer()
    warmup = LinearLR(optimizer, start_factor=0.1, end=4)
    cosine = CosineAnnealingLR(optimizer, T_max=6, begin=4, end=10, eta_min=0.0)
    expected = [BASE_LR * (0.1 + 0.9 * t / 3) for t in range(4)]
    expected += [BASE_LR * (1 + math.cos(math.pi * t / 6)) / 2 for t in range(6)]
    assert_sequence(lr_sequence(optimizer, [warmup, cosine], 10), expected)


def test_overlapping_multiplicative_schedulers_multiply():
    optimizer = make_optimizer()
    warmup = LinearLR(optimizer, start_factor=0.5, end=3)
    decay = ExponentialLR(optimizer, gamma=0.5)
    expected = [BASE_LR * (0.5 + 0.5 * min(t, 2) / 2) * 0.5**t for t in range(5)]
    assert_sequence(lr_sequence(optimizer, [warmup, decay], 5), expected)


def test_convert_to_iter_based_scales_every_epoch_argument():
    optimizer = make_optimizer()
    scheduler = StepLR(optimizer, step_size=1, gamma=0.1, end=3, convert_to_iter_based=True, epoch_length=4)
    assert (scheduler.begin, scheduler.end, scheduler.step_size, scheduler.by_epoch) == (0, 12, 4, False)
    cosine = CosineAnnealingLR(make_optimizer(), T_max=2, begin=1, end=3, convert_to_iter_based=True,
                               epoch_length=5)
    assert (cosine.begin, cosine.end, cosine.T_max) == (5, 15, 10)
    with pytest.raises(ValueError, match="epoch length"):
        StepLR(make_optimizer(), step_size=1, convert_to_iter_based=True)


def test_momentum_schedulers_use_betas_for_adam_and_momentum_for_sgd():
    adam = make_optimizer(kind="adam")
    LinearMomentum(adam, start_factor=0.5, end=3)
    assert adam.param_groups[0]["betas"] == pytest.approx((0.45, 0.999))
    sgd = make_optimizer()
    scheduler = CosineAnnealingMomentum(sgd, T_max=4, eta_min=0.5)
    values = []
    for _ in range(4):
        values.append(sgd.param_groups[0]["momentum"])
        scheduler.step()
    assert_sequence(values, [0.5 + 0.4 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(4)])
    assert sgd.param_groups[0]["lr"] == BASE_LR


def test_scheduler_accepts_optim_wrapper_and_state_dict_restores_exact_value():
    wrapper = OptimWrapper(make_optimizer())
    scheduler = CosineAnnealingLR(wrapper, T_max=7)
    for _ in range(3):
        scheduler.step()
    value, state, optimizer_state = wrapper.param_groups[0]["lr"], scheduler.state_dict(), wrapper.state_dict()

    fresh = OptimWrapper(make_optimizer())
    restored = CosineAnnealingLR(fresh, T_max=7)
    fresh.load_state_dict(optimizer_state)
    restored.load_state_dict(state)
    assert fresh.param_groups[0]["lr"] == value
    restored.step()
    scheduler.step()
    assert fresh.param_groups[0]["lr"] == wrapper.param_groups[0]["lr"]


@pytest.mark.parametrize("arguments, message", [
    ({"factor": 1.5}, "between 0 and 1"),
    ({"begin": 3, "end": 3}, "larger than begin"),
])
def test_invalid_arguments_are_value_errors(arguments, message):
    with pytest.raises(ValueError, match=message):
        ConstantLR(make_optimizer(), **arguments)


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
