"""`IterTimerHook`: data-loading time, iteration time and the training ETA."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Mapping

from ._hook import Hook

if TYPE_CHECKING:
    from ..runner import Runner


class IterTimerHook(Hook):
    """Records `<mode>/data_time` (waiting for the batch) and `<mode>/time` (the whole iteration) per
    iteration, and the runtime info `eta` (seconds left in training, from the mean iteration time)."""

    priority = "NORMAL"

    def __init__(self) -> None:
        self._last = time.perf_counter()
        self._train_seconds = 0.0
        self._train_iters = 0

    def _restart(self, runner: Runner) -> None:
        self._last = time.perf_counter()

    before_train_epoch = before_val_epoch = before_test_epoch = _restart  # type: ignore[assignment]

    def after_val(self, runner: Runner) -> None:
        self._last = time.perf_counter()  # validation time is not the next training batch's data time

    def _before_iter(self, runner: Runner, mode: str) -> None:
        runner.message_hub.update_scalar(f"{mode}/data_time", time.perf_counter() - self._last)

    def _after_iter(self, runner: Runner, mode: str) -> float:
        now = time.perf_counter()
        seconds = now - self._last
        self._last = now
        runner.message_hub.update_scalar(f"{mode}/time", seconds)
        return seconds

    def before_train_iter(self, runner: Runner, batch_idx: int, data_batch: Any = None) -> None:
        self._before_iter(runner, "train")

    def before_val_iter(self, runner: Runner, batch_idx: int, data_batch: Any = None) -> None:
        self._before_iter(runner, "val")

    def before_test_iter(self, runner: Runner, batch_idx: int, data_batch: Any = None) -> None:
        self._before_iter(runner, "test")

    def after_train_iter(self, runner: Runner, batch_idx: int, data_batch: Any = None,
                         outputs: Mapping[str, Any] | None = None) -> None:
        self._train_seconds += self._after_iter(runner, "train")
        self._train_iters += 1
        remaining = runner.max_iters - runner.iter - 1
        runner.message_hub.update_info("eta", self._train_seconds / self._train_iters * remaining)

    def after_val_iter(self, runner: Runner, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        self._after_iter(runner, "val")

    def after_test_iter(self, runner: Runner, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        self._after_iter(runner, "test")
