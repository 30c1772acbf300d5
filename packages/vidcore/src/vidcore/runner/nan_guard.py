"""What a training step does with a non-finite (NaN/Inf) loss: `train_cfg.nan_policy: raise | skip_batch`.

The loss is checked after the forward pass and before the backward pass, so a bad batch never reaches the
gradients, the optimizer or a checkpoint. Under DDP the ranks agree (one non-finite loss anywhere counts
for all), so they skip or stop together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import torch
from torch import nn

from ..dist import all_reduce_min, unwrap_model
from ..errors import ConfigError, VidcoreError

if TYPE_CHECKING:
    from .runner import Runner

__all__ = ["NAN_POLICIES", "NonFiniteLossError", "NanGuard"]

NAN_POLICIES = ("raise", "skip_batch")


class NonFiniteLossError(VidcoreError):
    """The loss became NaN or infinite (`nan_policy: raise`, or too many skipped batches in a row)."""


class NanGuard:
    """Checks each training loss; `raise` stops with a NonFiniteLossError naming the iteration and epoch,
    `skip_batch` drops the batch (no backward, no optimizer step, normalisation statistics restored) and
    stops once `max_consecutive_nan` batches in a row were skipped. Also reports the float16 steps that
    AMP's GradScaler skipped because gradients overflowed."""

    def __init__(self, runner: Runner, policy: str = "raise", max_consecutive_nan: int = 10) -> None:
        if policy not in NAN_POLICIES:
            raise ConfigError(f"nan_policy: expected one of {', '.join(NAN_POLICIES)}, got {policy!r}")
        if isinstance(max_consecutive_nan, bool) or not isinstance(max_consecutive_nan, int) or max_consecutive_nan < 1:
            raise ConfigError(f"max_consecutive_nan: expected a positive integer, got {max_consecutive_nan!r}")
        self.runner = runner
        self.policy = policy
        self.max_consecutive_nan = max_consecutive_nan
        self.skipped = 0  # batches skipped in this run (carried across resume)
        self.in_a_row = 0
        self.amp_skipped = 0
        self._buffers: list[tuple[torch.Tensor, torch.Tensor]] = []

    # --- resumable state -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, int]:
        return {"skipped": self.skipped, "in_a_row": self.in_a_row, "amp_skipped": self.amp_skipped}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.skipped = int(state.get("skipped", 0))
        self.in_a_row = int(state.get("in_a_row", 0))
        self.amp_skipped = int(state.get("amp_skipped", 0))

    # --- the step ------------------------------------------------------------------------------------
    def before_forward(self, model: nn.Module) -> None:
        """With skip_batch, remember the buffers (BatchNorm statistics and counters) the forward may change."""
        if self.policy != "skip_batch":
            return
        buffers = list(unwrap_model(model).buffers())
        if [id(buffer) for buffer in buffers] != [id(live) for live, _ in self._buffers]:
            self._buffers = [(buffer, buffer.detach().clone()) for buffer in buffers]
        else:
            for live, copy in self._buffers:
                copy.copy_(live.detach())

    def accept(self, loss: torch.Tensor, log_vars: Mapping[str, torch.Tensor]) -> bool:
        """True when the step may go on; False when the batch is to be skipped. Raises under `raise`."""
        runner = self.runner
        local = bool(torch.isfinite(loss.detach()).all())
        if bool(all_reduce_min(int(local))):
            self.in_a_row = 0
            return True
        values = ", ".join(f"{key}={float(value):.4g}" for key, value in log_vars.items()
                           if isinstance(value, torch.Tensor) and value.numel() == 1)
        what = f"non-finite loss at {_position(runner)} ({values})" if not local else \
            f"non-finite loss on another rank at {_position(runner)} (this rank: {values})"
        owner = runner.where("train_cfg", "nan_policy")
        if self.policy == "raise":
            raise NonFiniteLossError(
                f"{owner}=raise: {what}; stopped before the optimizer step, no checkpoint was written for it; lower "
                "the learning rate, set optim_wrapper.clip_grad, check the data, or set train_cfg.nan_policy: "
                "skip_batch")
        for live, copy in self._buffers:
            live.data.copy_(copy)
        self.skipped += 1
        self.in_a_row += 1
        if self.in_a_row >= self.max_consecutive_nan:
            raise NonFiniteLossError(
                f"{owner}=skip_batch: {self.in_a_row} batches in a row had a non-finite loss (the last: {what}); "
                f"stopped (train_cfg.max_consecutive_nan={self.max_consecutive_nan})")
        runner.logger.warning(f"{what}: batch skipped, no optimizer step ({self.in_a_row} in a row, {self.skipped} "
                              f"in total; train_cfg.max_consecutive_nan={self.max_consecutive_nan})")
        return False

    def report_amp_skip(self, optim_wrapper: Any) -> None:
        """GradScaler found inf/NaN gradients and skipped the step (normal now and then with float16)."""
        runner = self.runner
        self.amp_skipped += 1
        scaler = getattr(optim_wrapper, "loss_scaler", None)
        scale = f"; loss scale now {scaler.get_scale():g}" if scaler is not None else ""
        runner.logger.info(f"AMP: float16 gradients overflowed at {_position(runner)}: GradScaler skipped the "
                           f"optimizer step ({self.amp_skipped} so far){scale}")


def _position(runner: Runner) -> str:
    loop = runner.train_loop
    if loop.by_epoch:
        return (f"iteration {runner.iter + 1} (epoch {runner.epoch + 1}, batch {loop.inner_iter + 1} of "
                f"{loop.epoch_length})")
    return f"iteration {runner.iter + 1} of {runner.max_iters}"
