"""Batch preparation before forward: stack per-sample tensors and move everything to the model's device."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.data import default_collate as torch_collate

# Leaves that never move; checked first because a batch holds many of them (labels, ids, paths).
_PLAIN = (int, float, str, bytes, bool, type(None))


def cast_data(data: Any, device: torch.device | str, non_blocking: bool = False) -> Any:
    """Move every tensor in a nested dict/list/tuple (and objects with `.to`) to `device`; pinned tensors are
    always copied without blocking (the host runs on while the copy is in flight)."""
    if isinstance(data, torch.Tensor):
        return data.to(device, non_blocking=non_blocking or data.is_pinned())
    if isinstance(data, _PLAIN):
        return data
    if isinstance(data, Mapping):
        return {key: cast_data(value, device, non_blocking) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(cast_data(item, device, non_blocking) for item in data)
    if hasattr(data, "to") and callable(data.to) and not isinstance(data, (str, bytes, nn.Module)):
        return data.to(device)
    return data


def stack_tensors(tensors: Sequence[Any]) -> torch.Tensor | None:
    """Tensors of one shape and dtype stacked along a new first dimension, each keeping its memory layout
    (channels-last frames stay channels-last, so the model needs no conversion); None when they differ or are
    not tensors. Inside a DataLoader worker the result lives in shared memory."""
    if not tensors or not all(isinstance(tensor, torch.Tensor) for tensor in tensors):
        return None
    first = tensors[0]
    if any(tensor.shape != first.shape or tensor.dtype != first.dtype for tensor in tensors):
        return None
    # Stack in the first tensor's physical order (outermost dimension first), then view it in logical order.
    order = sorted(range(first.dim()), key=lambda dim: -first.stride(dim))
    stacked = torch_collate([tensor.permute(order) for tensor in tensors])
    inverse = sorted(range(first.dim()), key=order.__getitem__)
    return stacked.permute(0, *(1 + dim for dim in inverse))


class BaseDataPreprocessor(nn.Module):
    """Stacks a collated batch's `inputs` (a list of equal-shape tensors, unless `stack_inputs_collate` stacked
    them already) and moves the batch to the device.

    Subclasses (e.g. vidcore-video's ActionDataPreprocessor) add float conversion, normalisation and
    blending. Called by the runner as `model.data_preprocessor(batch, training)`; returns a dict with
    `inputs` and `data_samples`, passed to `model(**batch, mode=...)`.
    """

    def __init__(self, non_blocking: bool = False) -> None:
        super().__init__()
        self.non_blocking = non_blocking
        self.register_buffer("_device_probe", torch.empty(0), persistent=False)

    @property
    def device(self) -> torch.device:
        return self._device_probe.device

    def forward(self, data: Mapping[str, Any], training: bool = False) -> dict[str, Any]:
        inputs = data["inputs"]
        if isinstance(inputs, (list, tuple)):
            stacked = stack_tensors(inputs)
            inputs = inputs if stacked is None else stacked
        batch = dict(data)
        batch["inputs"] = inputs
        batch.setdefault("data_samples", None)
        return cast_data(batch, self.device, self.non_blocking)
