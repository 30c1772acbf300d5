"""`check_model`: a model honours forward(inputs, data_samples, mode) for 'loss', 'predict' and 'tensor'."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .common import call_checked, describe

__all__ = ["check_model"]


def check_model(model: Any, inputs: Any, data_samples: Any = None, *, batch_size: int | None = None) -> dict[str, Any]:
    """Assert that `model` honours the BaseModel contract on one batch; return the output of each mode.

    `inputs` and `data_samples` are what the data preprocessor hands to forward. Checks:
    - `mode="loss"` (train mode) returns a dict whose keys containing `loss` hold tensors (or lists of
      tensors) that sum to a finite loss, and backward through it reaches at least one parameter;
    - `mode="predict"` (eval mode, no grad) returns a sequence with one prediction per input;
    - `mode="tensor"` returns the raw outputs: a tensor, or a tuple/list/dict holding tensors.
    `batch_size` defaults to `len(data_samples)`, else the first dimension of `inputs`. The model's
    train/eval state is restored and its gradients are cleared afterwards.
    """
    import torch
    from vidcore.model import BaseModel

    name = describe(model)
    assert isinstance(model, BaseModel), (
        f"{name} is not a vidcore.model.BaseModel: the runner calls model.data_preprocessor(batch, training) "
        "and then model(inputs, data_samples, mode=...)")
    size = batch_size if batch_size is not None else _batch_size(inputs, data_samples)
    was_training = model.training
    try:
        model.train()
        losses = call_checked(f"{name}(mode='loss')", model, inputs, data_samples, mode="loss")
        _check_losses(model, name, losses, torch)
        model.eval()
        with torch.no_grad():
            predictions = call_checked(f"{name}(mode='predict')", model, inputs, data_samples, mode="predict")
            tensors = call_checked(f"{name}(mode='tensor')", model, inputs, data_samples, mode="tensor")
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
    assert isinstance(predictions, Sequence) and not isinstance(predictions, (str, bytes)), (
        f"{name}(mode='predict') returned {type(predictions).__name__}; expected a list with one prediction "
        "(data sample) per input, which metrics consume")
    assert size is None or len(predictions) == size, (
        f"{name}(mode='predict') returned {len(predictions)} predictions for a batch of {size}")
    assert _holds_tensor(tensors, torch), (
        f"{name}(mode='tensor') returned {type(tensors).__name__}; expected the raw network output "
        "(a tensor, or a tuple/list/dict of tensors)")
    return {"loss": losses, "predict": predictions, "tensor": tensors}


def _check_losses(model: Any, name: str, losses: Any, torch: Any) -> None:
    assert isinstance(losses, Mapping), (
        f"{name}(mode='loss') returned {type(losses).__name__}; expected a dict such as {{'loss': tensor}}")
    loss_keys = [key for key in losses if "loss" in str(key)]
    assert loss_keys, (f"{name}(mode='loss') returned keys {list(losses)}; at least one key must contain 'loss' "
                       "(the runner sums those and logs the rest)")
    total = None
    for key in loss_keys:
        values = losses[key] if isinstance(losses[key], (list, tuple)) else [losses[key]]
        for value in values:
            assert isinstance(value, torch.Tensor), (
                f"{name}(mode='loss')[{key!r}] is {type(value).__name__}; expected a tensor (or a list of tensors)")
            total = value.mean() if total is None else total + value.mean()
    assert total is not None and total.requires_grad, (
        f"{name}(mode='loss'): the loss does not require grad (computed under torch.no_grad() or from "
        "detached tensors?), so training would not change the model")
    assert bool(torch.isfinite(total)), f"{name}(mode='loss'): the loss is not finite ({total.item()})"
    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    assert trainable, f"{name} has no trainable parameters: the optimizer would have nothing to update"
    model.zero_grad(set_to_none=True)
    call_checked(f"{name}: backward through the loss", total.backward)
    assert any(parameter.grad is not None for parameter in trainable), (
        f"{name}: backward through the loss reached none of the model's parameters")


def _batch_size(inputs: Any, data_samples: Any) -> int | None:
    if isinstance(data_samples, Sequence) and not isinstance(data_samples, (str, bytes)):
        return len(data_samples)
    if hasattr(inputs, "shape") and len(inputs.shape) > 0:
        return int(inputs.shape[0])
    if isinstance(inputs, (list, tuple)):
        return len(inputs)
    return None


def _holds_tensor(value: Any, torch: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    if isinstance(value, Mapping):
        return any(_holds_tensor(item, torch) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_tensor(item, torch) for item in value)
    return False
