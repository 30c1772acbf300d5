"""Optimizer wrappers: accumulation windows, clipping, AMP (float16 with a GradScaler, bfloat16 without)."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from vidcore.errors import BuildError
from vidcore.optim import AmpOptimWrapper, DefaultOptimWrapperConstructor, OptimWrapper


def make(wrapper=OptimWrapper, **kwargs):
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    return model, wrapper(torch.optim.SGD(model.parameters(), lr=0.1), **kwargs)


def test_last_accumulation_window_is_divided_by_its_own_length():
    model, wrapper = make(accumulative_counts=4)
    wrapper.initialize_count_status(model, init_counts=0, max_counts=10)
    divisors, steps = [], []
    for _ in range(10):
        divisors.append(float(1 / wrapper.scale_loss(torch.tensor(1.0))))
        before = model.weight.detach().clone()
        wrapper.update_params(model(torch.ones(1, 4)).sum())
        steps.append(not torch.equal(before, model.weight))
    assert divisors == pytest.approx([4] * 8 + [2] * 2)
    assert steps == [False, False, False, True] * 2 + [False, True]


def test_should_sync_only_on_the_stepping_iteration():
    model, wrapper = make(accumulative_counts=3)
    wrapper.initialize_count_status(model, 0, 6)
    syncs = []
    for _ in range(6):
        syncs.append(wrapper.should_sync())
        wrapper.update_params(model(torch.ones(1, 4)).sum())
    assert syncs == [False, False, True, False, False, True]


def test_clip_by_value():
    model, wrapper = make(clip_grad={"clip_value": 0.01})
    wrapper.initialize_count_status(model, 0, 1)
    before = model.weight.detach().clone()
    wrapper.update_params(100 * model(torch.ones(1, 4)).sum())
    assert torch.allclose((before - model.weight).abs(), torch.full_like(before, 0.001))


@pytest.mark.parametrize("kwargs, message", [
    ({"clip_grad": {"max_nrom": 1}}, "needs 'max_norm'"),
    ({"clip_grad": {"max_norm": 1, "type": "weird"}}, "must be 'norm' or 'value'"),
    ({"accumulative_counts": 0}, "positive integer"),
])
def test_wrapper_config_errors(kwargs, message):
    with pytest.raises(BuildError, match=message):
        make(**kwargs)


def test_float16_uses_a_grad_scaler_whose_state_is_saved():
    model, wrapper = make(AmpOptimWrapper, dtype="float16")
    wrapper.initialize_count_status(model, 0, 2)
    with wrapper.optim_context(model):
        output = model(torch.randn(3, 4))
    assert output.dtype is torch.float16
    wrapper.update_params(output.float().pow(2).mean())
    state = wrapper.state_dict()
    assert state["loss_scaler"]["scale"] == 65536.0

    _, restored = make(AmpOptimWrapper, dtype="float16")
    state["loss_scaler"]["scale"] = 1024.0
    restored.load_state_dict(state)
    assert restored.loss_scaler.get_scale() == 1024.0


def test_static_loss_scale_stays_fixed():
    model, wrapper = make(AmpOptimWrapper, dtype="float16", loss_scale=512.0)
    wrapper.initialize_count_status(model, 0, 3)
    for _ in range(3):
        with wrapper.optim_context(model):
            loss = model(torch.randn(2, 4)).float().sum()
        wrapper.update_params(loss)
    assert wrapper.loss_scaler.get_scale() == 512.0


def test_bfloat16_has_no_scaler_and_unknown_dtype_is_an_error():
    _, wrapper = make(AmpOptimWrapper, dtype="bfloat16")
    assert wrapper.loss_scaler is None and "loss_scaler" not in wrapper.state_dict()
    with pytest.raises(BuildError, match="dtype must be one of float16, bfloat16"):
        make(AmpOptimWrapper, dtype="float8")


def test_constructor_norm_and_flat_decay_multipliers():
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    constructor = DefaultOptimWrapperConstructor(
        {"optimizer": {"type": "SGD", "lr": 0.1, "weight_decay": 0.01}},
        {"norm_decay_mult": 0.0, "bias_lr_mult": 2.0})
    groups = constructor.parameter_groups(model, {"lr": 0.1, "weight_decay": 0.01})
    settings = {id(param): group for group in groups for param in group["params"]}
    assert settings[id(model[1].weight)]["weight_decay"] == 0.0
    assert settings[id(model[0].bias)]["lr"] == pytest.approx(0.2)
    assert "weight_decay" not in settings[id(model[0].weight)]
    with pytest.raises(BuildError, match="paramwise_cfg got unexpected keys"):
        DefaultOptimWrapperConstructor({"optimizer": {"type": "SGD"}}, {"bias_decay": 0})
