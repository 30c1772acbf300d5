"""Parameter schedulers: each lr sequence against its closed form, windows, conversion, momentum, resume."""

from __future__ import annotations

import math

import pytest
import torch
from vidcore.optim import OptimWrapper
from vidcore.optim.scheduler import (
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingMomentum,
    CosineRestartLR,
    ExponentialLR,
    LinearLR,
    LinearMomentum,
    MultiStepLR,
    PolyLR,
    StepLR,
)

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
