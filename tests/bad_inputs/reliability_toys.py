"""Toy components for the reliability tests (bad inputs, crash/resume, distributed failures, NaN losses).

A config loads them with `custom_imports: {imports: [reliability_toys]}`: importing this module registers
the runner tests' toys (ToyModel, ToyDataset, ToyAccuracy from vidcore_runner_toys) and the ones below in
the default registry. Subprocesses need this folder and packages/vidcore/tests/runner on PYTHONPATH
(`toy_env()` builds that environment).

`VIDCORE_TEST_FSYNC_DELAY=<seconds>` makes `os.fsync` of a temp file (`*.tmp`) sleep first, as a slow disk
would: a kill then often lands between a checkpoint's write and its rename (the crash harness relies on it).
`VIDCORE_TEST_SWALLOW_SIGINT=1` makes importing this module interrupt itself with SIGINT inside a `try` that
swallows every exception, as start-up code that catches too much would (the CLI must still stop).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import torch
import vidcore
from torch import nn
from vidcore.hooks import Hook

HERE = Path(__file__).resolve().parent
RUNNER_TESTS = HERE.parents[1] / "packages" / "vidcore" / "tests" / "runner"
sys.path.insert(0, str(RUNNER_TESTS))

from vidcore_runner_toys import ToyModel, register_in_default_registry  # noqa: E402


def toy_env(**extra: str) -> dict[str, str]:
    """The environment of a `vidcore` subprocess that imports this module: no installed plugins unless asked."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(RUNNER_TESTS), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("VIDCORE_PLUGINS", "")
    env["OMP_NUM_THREADS"] = "1"
    env.update(extra)
    return env


class NormToyModel(ToyModel):
    """ToyModel behind a BatchNorm (running statistics: buffers that a skipped batch must not change); its loss
    is multiplied by `loss_factor` while `HugeLossHook` says so."""

    def __init__(self, dim: int = 4, hidden: int = 8, dropout: float = 0.0) -> None:
        super().__init__(dim=dim, hidden=hidden, dropout=dropout)
        self.norm = nn.BatchNorm1d(dim)
        self.loss_factor: float | None = None

    def forward(self, inputs: torch.Tensor, data_samples: Any = None, mode: str = "tensor") -> Any:
        outputs = super().forward(self.norm(inputs), data_samples, mode)
        if mode == "loss" and self.loss_factor is not None:
            outputs = {**outputs, "loss_cls": outputs["loss_cls"] * self.loss_factor}
        return outputs


class PoisonLossHook(Hook):
    """Multiplies the inputs of the given 1-based training iterations by `value` (nan or inf), so that the
    forward pass (normalisation statistics included) and the loss become non-finite; on rank `rank` only
    when it is set."""

    priority = "HIGHEST"

    def __init__(self, iterations: list[int], value: str = "nan", rank: int | None = None) -> None:
        self.iterations = set(iterations)
        self.value = float(value)
        self.rank = rank

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        if runner.iter + 1 in self.iterations and self.rank in (None, runner.rank):
            data_batch["inputs"] = [inputs * self.value for inputs in data_batch["inputs"]]


class HugeLossHook(Hook):
    """Multiplies NormToyModel's loss by `factor` in the first `until` iterations so that float16 gradients
    overflow (AMP's GradScaler then skips those steps)."""

    priority = "HIGHEST"

    def __init__(self, factor: float = 1e6, until: int = 2) -> None:
        self.factor = factor
        self.until = until

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        from vidcore.dist import unwrap_model

        unwrap_model(runner.model).loss_factor = self.factor if runner.iter < self.until else None


class FaultHook(Hook):
    """Fails rank `rank` before training iteration `iteration` (1-based): `exit` (os._exit(3)), `kill`
    (SIGKILL itself), `raise` (RuntimeError), `hang` (waits, inside a hook, until a SIGINT/SIGTERM arrives)."""

    priority = "HIGHEST"

    def __init__(self, rank: int = 1, iteration: int = 3, action: str = "kill") -> None:
        self.rank = rank
        self.iteration = iteration
        self.action = action

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        if runner.rank != self.rank or runner.iter + 1 != self.iteration:
            return
        print(f"FaultHook: rank {runner.rank} fails ({self.action}) at iteration {self.iteration}", flush=True)
        if self.action == "exit":
            os._exit(3)
        if self.action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if self.action == "raise":
            raise RuntimeError(f"injected failure on rank {runner.rank}")
        if self.action == "hang":
            # stuck outside any collective; a stop signal (torchrun's SIGTERM) ends the wait so that the
            # test need not sit through torchrun's grace period before its SIGKILL
            while runner._stop_signals is None or runner._stop_signals.signum is None:
                time.sleep(0.05)


class SlowIterHook(Hook):
    """Sleeps after each training iteration, standing in for real compute (gives signals time to land)."""

    def __init__(self, seconds: float = 0.02) -> None:
        self.seconds = seconds

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        time.sleep(self.seconds)


class SignalSelfHook(Hook):
    """Sends `signal_name` (SIGINT, SIGTERM) to its own process `times` times after training iteration
    `iteration` (1-based)."""

    priority = "LOWEST"

    def __init__(self, iteration: int, signal_name: str = "SIGTERM", times: int = 1) -> None:
        self.iteration = iteration
        self.signum = getattr(signal, signal_name)
        self.times = times

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        if runner.iter + 1 == self.iteration:
            for _ in range(self.times):
                os.kill(os.getpid(), self.signum)
                time.sleep(0.01)  # let the handler run before the next signal


class RemoveFileHook(Hook):
    """Deletes `path` before training starts: a file that vanishes after the dataset checked it."""

    def __init__(self, path: str) -> None:
        self.path = path

    def before_train(self, runner: Any) -> None:
        os.remove(self.path)


def _slow_fsync_from_env() -> None:
    delay = float(os.environ.get("VIDCORE_TEST_FSYNC_DELAY", "0") or 0)
    if delay <= 0:
        return
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        try:
            name = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            name = ".tmp"
        if name.endswith(".tmp"):  # a temp file about to be renamed into place
            time.sleep(delay)
        real_fsync(fd)

    os.fsync = slow_fsync


def register() -> None:
    register_in_default_registry()
    vidcore.register("models", "NormToyModel")(NormToyModel)
    for hook in (PoisonLossHook, HugeLossHook, FaultHook, SlowIterHook, SignalSelfHook, RemoveFileHook):
        vidcore.register("hooks", hook.__name__)(hook)


def _swallowed_sigint_from_env() -> None:
    if os.environ.get("VIDCORE_TEST_SWALLOW_SIGINT") != "1":
        return
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)  # the handler runs here
    except BaseException:  # noqa: BLE001 - on purpose: code that swallows the interrupt
        pass


register()
_slow_fsync_from_env()
_swallowed_sigint_from_env()
