"""What a training step does with a non-finite (NaN/Inf) loss: `train_cfg.nan_policy: raise | skip_batch`.

`skip_batch` checks the loss after the forward pass and before the backward pass, so a skipped batch never
reaches the gradients or the optimizer; that check waits for the device every step. `raise` (the default)
never waits: the check is copied to host memory while the step runs on and is read at the next step (or
before any checkpoint, validation or the end of training), so the device stays busy while the host
prepares the next batch; the run stops there, and no checkpoint is written after the bad batch. Under DDP
the ranks agree (one non-finite loss anywhere counts for all), so they skip or stop together; there both
policies check before the backward pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import torch
from torch import nn

from ..dist import all_reduce_min, is_distributed, unwrap_model
from ..errors import ConfigError, VidcoreError

if TYPE_CHECKING:
    from ._runner import Runner

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
        self._pending: tuple[_HostFlag, str, Mapping[str, torch.Tensor]] | None = None  # raise: the last check

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
        """True when the step may go on; False when the batch is to be skipped. Raises under `raise` (for the
        previous step's loss when the check is deferred)."""
        if self.policy == "raise" and not is_distributed():
            self.flush()
            self._pending = (_HostFlag(torch.isfinite(loss.detach()).all()), _position(self.runner), log_vars)
            return True
        runner = self.runner
        local = bool(torch.isfinite(loss.detach()).all())
        if bool(all_reduce_min(int(local))):
            self.in_a_row = 0
            return True
        values = _values(log_vars)
        what = f"non-finite loss at {_position(runner)} ({values})" if not local else \
            f"non-finite loss on another rank at {_position(runner)} (this rank: {values})"
        owner = runner.where("train_cfg", "nan_policy")
        if self.policy == "raise":
            raise self._raise_error(f"{what}; stopped before the optimizer step")
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

    def flush(self) -> None:
        """Read the deferred check of the last loss (waiting for the device only if it has not got that far);
        raise NonFiniteLossError if that loss was not finite. Called before checkpoints and evaluation."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        flag, position, log_vars = pending
        if flag.read():
            self.in_a_row = 0
            return
        raise self._raise_error(f"non-finite loss at {position} ({_values(log_vars)}); stopped")

    def _raise_error(self, what: str) -> NonFiniteLossError:
        owner = self.runner.where("train_cfg", "nan_policy")
        return NonFiniteLossError(
            f"{owner}=raise: {what}, no checkpoint was written for it; lower the learning rate, set "
            "optim_wrapper.clip_grad, check the data, or set train_cfg.nan_policy: skip_batch")

    def report_amp_skip(self, optim_wrapper: Any) -> None:
        """GradScaler found inf/NaN gradients and skipped the step (normal now and then with float16)."""
        runner = self.runner
        self.amp_skipped += 1
        scaler = getattr(optim_wrapper, "loss_scaler", None)
        scale = f"; loss scale now {scaler.get_scale():g}" if scaler is not None else ""
        runner.logger.info(f"AMP: float16 gradients overflowed at {_position(runner)}: GradScaler skipped the "
                           f"optimizer step ({self.amp_skipped} so far){scale}")


class _HostFlag:
    """A boolean device tensor copied to host memory without waiting for it (pinned memory and an event on
    CUDA); `read()` waits for the copy only if the device has not finished it yet."""

    def __init__(self, flag: torch.Tensor) -> None:
        self._event: torch.cuda.Event | None = None
        if flag.device.type == "cuda":
            host = torch.empty((), dtype=torch.bool, pin_memory=True)
            host.copy_(flag, non_blocking=True)
            self._event = torch.cuda.Event()
            self._event.record()
        else:
            host = flag.to("cpu")  # a no-op on the CPU
        self._value = host.numpy()  # read through numpy: a host read, never a device synchronisation

    def read(self) -> bool:
        if self._event is not None:
            self._event.synchronize()
        return bool(self._value)


def _values(log_vars: Mapping[str, torch.Tensor]) -> str:
    return ", ".join(f"{key}={float(value):.4g}" for key, value in log_vars.items()
                     if isinstance(value, torch.Tensor) and value.numel() == 1)


def _position(runner: Runner) -> str:
    loop = runner.train_loop
    if loop.by_epoch:
        return (f"iteration {runner.iter + 1} (epoch {runner.epoch + 1}, batch {loop.inner_iter + 1} of "
                f"{loop.epoch_length})")
    return f"iteration {runner.iter + 1} of {runner.max_iters}"
