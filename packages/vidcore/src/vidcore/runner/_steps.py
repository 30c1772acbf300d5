"""One training step and one prediction step, following the model contract in vidcore.model.BaseModel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import torch
from torch import nn

if TYPE_CHECKING:
    from ..optim import OptimWrapper
    from ._nan_guard import NanGuard


def parse_losses(losses: Mapping[str, Any]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The total loss (sum of the keys containing `loss`) and every key's value for logging (detached).

    A value may be a tensor (its mean is used) or a list of tensors (the sum of their means).
    """
    if not isinstance(losses, Mapping):
        raise TypeError(f"model(mode='loss') must return a dict of losses, got {type(losses).__name__}")
    values: dict[str, torch.Tensor] = {}
    for key, value in losses.items():
        if isinstance(value, torch.Tensor):
            values[key] = value.mean()
        elif isinstance(value, (list, tuple)) and value and all(isinstance(item, torch.Tensor) for item in value):
            values[key] = sum(item.mean() for item in value)  # type: ignore[assignment]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            values[key] = torch.tensor(float(value))
        else:
            raise TypeError(f"model(mode='loss') returned '{key}' as {type(value).__name__}; "
                            "expected a tensor or a list of tensors")
    loss_keys = [key for key in values if "loss" in key]
    if not loss_keys:
        raise ValueError(f"model(mode='loss') returned no key containing 'loss' (keys: {', '.join(values) or 'none'})")
    total = sum(values[key] for key in loss_keys)
    log_vars = {"loss": total.detach(), **{key: value.detach() for key, value in values.items() if key != "loss"}}
    return total, log_vars  # type: ignore[return-value]


def train_step(model: nn.Module, preprocessor: nn.Module, optim_wrapper: OptimWrapper,
               data_batch: Any, guard: NanGuard | None = None) -> dict[str, torch.Tensor]:
    """Preprocess, forward in loss mode, backward and (at the end of an accumulation window) step.

    `model` may be DDP-wrapped (its forward synchronises gradients); `preprocessor` is the unwrapped
    model's `data_preprocessor`. `guard` checks the loss between forward and backward (`nan_policy`):
    a rejected batch gets no backward and no step. Returns the detached losses (and `grad_norm` when
    clipping by norm).
    """
    if guard is not None:
        guard.before_forward(model)
    with optim_wrapper.optim_context(model):
        data = preprocessor(data_batch, True)
        losses = model(**data, mode="loss")
    loss, log_vars = parse_losses(losses)
    if guard is not None and not guard.accept(loss, log_vars):
        optim_wrapper.skip_update()
        return log_vars
    skipped_before = getattr(optim_wrapper, "skipped_steps", 0)
    optim_wrapper.update_params(loss)
    if guard is not None and getattr(optim_wrapper, "skipped_steps", 0) > skipped_before:
        guard.report_amp_skip(optim_wrapper)
    if optim_wrapper.last_grad_norm is not None:
        log_vars["grad_norm"] = optim_wrapper.last_grad_norm.detach()
    return log_vars


def predict_step(model: nn.Module, preprocessor: nn.Module, data_batch: Any) -> Any:
    """Preprocess and forward in predict mode (the unwrapped model: no DDP synchronisation needed)."""
    data = preprocessor(data_batch, False)
    return model(**data, mode="predict")
