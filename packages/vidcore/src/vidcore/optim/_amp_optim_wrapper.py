"""`AmpOptimWrapper`: automatic mixed precision (torch.autocast) with a GradScaler for float16."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import torch
from torch import nn
from torch.optim import Optimizer

from ..errors import BuildError
from ._optim_wrapper import OptimWrapper

_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16}


class AmpOptimWrapper(OptimWrapper):
    """Forward under `torch.autocast`; float16 losses are scaled by a `torch.amp.GradScaler`.

    `dtype`: `float16` or `bfloat16`; unset, float16 when CUDA is available, else bfloat16 (CPU autocast
    supports bfloat16). `loss_scale`: `dynamic` (GradScaler's growth/backoff), a number (static
    scale), or a dict of GradScaler arguments. bfloat16 has float32's range and needs no scaler.
    """

    def __init__(self, optimizer: Optimizer, dtype: str | None = None, loss_scale: str | float | dict = "dynamic",
                 clip_grad: dict | None = None, accumulative_counts: int = 1) -> None:
        super().__init__(optimizer, clip_grad=clip_grad, accumulative_counts=accumulative_counts)
        if dtype is None:
            dtype = "float16" if torch.cuda.is_available() else "bfloat16"
        if dtype not in _DTYPES:
            raise BuildError(f"dtype must be one of {', '.join(_DTYPES)}, got {dtype!r}")
        self.dtype = _DTYPES[dtype]
        self.device_type = self._device_of(optimizer)
        self._static_scale: float | None = None
        self.loss_scaler: torch.amp.GradScaler | None = None
        if self.dtype is torch.float16:
            if loss_scale == "dynamic":
                self.loss_scaler = torch.amp.GradScaler(self.device_type)
            elif isinstance(loss_scale, (int, float)) and not isinstance(loss_scale, bool):
                self._static_scale = float(loss_scale)
                self.loss_scaler = torch.amp.GradScaler(self.device_type, init_scale=self._static_scale)
            elif isinstance(loss_scale, dict):
                self.loss_scaler = torch.amp.GradScaler(self.device_type, **loss_scale)
            else:
                raise BuildError(f"loss_scale must be 'dynamic', a number or a dict, got {loss_scale!r}")

    @staticmethod
    def _device_of(optimizer: Optimizer) -> str:
        for group in optimizer.param_groups:
            for param in group["params"]:
                return param.device.type
        return "cuda" if torch.cuda.is_available() else "cpu"

    @contextlib.contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        with super().optim_context(model), torch.autocast(device_type=self.device_type, dtype=self.dtype):
            yield

    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        if self.loss_scaler is not None:
            loss = self.loss_scaler.scale(loss)
        loss.backward(**kwargs)

    def step(self, **kwargs: Any) -> None:
        if self.loss_scaler is None:
            super().step(**kwargs)
            return
        if self.clip_grad is not None:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_gradients()
        self.loss_scaler.step(self.optimizer, **kwargs)
        if self._found_inf():
            self.skipped_steps += 1
        self.loss_scaler.update(self._static_scale)

    def _found_inf(self) -> bool:
        """Whether the scaler found inf/NaN gradients and so skipped the step just taken (before `update`)."""
        found = self.loss_scaler._found_inf_per_device(self.optimizer)  # type: ignore[union-attr]
        return any(bool(value.item()) for value in found.values())

    def state_dict(self) -> dict[str, Any]:
        state = self.optimizer.state_dict()
        if self.loss_scaler is not None:
            state["loss_scaler"] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        scaler_state = state.pop("loss_scaler", None)
        if scaler_state is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(scaler_state)
        self.optimizer.load_state_dict(state)
