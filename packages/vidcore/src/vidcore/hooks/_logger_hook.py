"""`LoggerHook`: text log lines, scalar records for the visualizer backends, and the progress bar."""

from __future__ import annotations

import datetime
import math
from typing import TYPE_CHECKING, Any, Mapping

from ._hook import Hook

if TYPE_CHECKING:
    from ..runner import Runner

_TIME_KEYS = ("time", "data_time")


class LoggerHook(Hook):
    """Every `interval` training iterations: a text line (console and `<log_dir>/<timestamp>.log`) and a
    scalar record for every visualizer backend; after each validation/test: the metrics.

    Training values are means over the iterations since the previous line (the lr is the current one).
    `by_epoch` (default: as the train loop) counts `interval` within each epoch; `ignore_last` skips the
    shorter window at the end of an epoch. Scalars reach the backends as `<mode>/<key>` together with
    `epoch` and `iter`, at step = the 1-based global training iteration (docs/runner.md, JSON lines).
    `progress_bar`: a rich bar on an interactive terminal (default: when stdout is a TTY).
    """

    priority = "BELOW_NORMAL"

    def __init__(self, interval: int = 10, ignore_last: bool = True, by_epoch: bool | None = None,
                 progress_bar: bool | None = None) -> None:
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f"interval must be a positive integer, got {interval!r}")
        self.interval = interval
        self.ignore_last = ignore_last
        self.by_epoch = by_epoch
        self.progress_bar = progress_bar
        self._since_log = 0
        self._eval_iters = 0
        self._display: Any = None

    # --- progress bar --------------------------------------------------------------------------------
    def before_run(self, runner: Runner) -> None:
        from ._progress import ProgressDisplay

        self._display = ProgressDisplay(self.progress_bar)
        self._display.enabled = self._display.enabled and runner.is_main_process

    def after_run(self, runner: Runner) -> None:
        if self._display is not None:
            self._display.stop()

    def _counts_by_epoch(self, runner: Runner) -> bool:
        return runner.train_loop.by_epoch if self.by_epoch is None else self.by_epoch

    def _start_train_bar(self, runner: Runner) -> None:
        loop = runner.train_loop
        if loop.by_epoch:
            self._display.start(f"epoch {runner.epoch + 1}/{runner.max_epochs}", loop.epoch_length, loop.inner_iter)
        else:
            self._display.start("train", runner.max_iters, runner.iter)

    def before_train_epoch(self, runner: Runner) -> None:
        self._since_log = 0
        self._start_train_bar(runner)

    def after_train_epoch(self, runner: Runner) -> None:
        self._display.stop()

    # --- training ------------------------------------------------------------------------------------
    def after_train_iter(self, runner: Runner, batch_idx: int, data_batch: Any = None,
                         outputs: Mapping[str, Any] | None = None) -> None:
        self._display.advance()
        self._since_log += 1
        if self._counts_by_epoch(runner):
            done, total = batch_idx + 1, runner.train_loop.epoch_length
        else:
            done, total = runner.iter + 1, runner.max_iters
        if done % self.interval == 0 or (done == total and not self.ignore_last):
            self._log_train(runner, done, total)

    def _log_train(self, runner: Runner, done: int, total: int) -> None:
        hub = runner.message_hub
        window, self._since_log = self._since_log, 0
        values: dict[str, float] = {}
        if "train/lr" in hub.scalars:
            values["lr"] = hub.get_scalar("train/lr").current()
        for key in _TIME_KEYS:
            if f"train/{key}" in hub.scalars:
                values[key] = hub.get_scalar(f"train/{key}").mean(window)
        memory = _cuda_memory_mb(runner)
        if memory is not None:
            values["memory"] = memory
        for key in sorted(hub.keys_with_prefix("train/"), key=lambda k: (not k.startswith("train/loss"), k)):
            name = key[len("train/"):]
            if name not in values:
                values[name] = hub.get_scalar(key).mean(window)

        epoch = _epoch_number(runner, "train")
        if self._counts_by_epoch(runner):
            head = f"Epoch(train) [{epoch}][{done:>{len(str(total))}}/{total}]"
        else:
            head = f"Iter(train) [{done:>{len(str(total))}}/{total}]"
        eta = hub.get_info("eta")
        text = [f"lr: {values['lr']:.4e}"] if "lr" in values else []
        if eta is not None:
            text.append(f"eta: {datetime.timedelta(seconds=int(eta))}")
        text += [f"{key}: {_format(value)}" for key, value in values.items() if key != "lr"]
        runner.logger.info("  ".join([head] + text))
        self._publish(runner, "train", values, epoch, runner.iter + 1)

    # --- validation and test -------------------------------------------------------------------------
    def _before_eval_epoch(self, runner: Runner, mode: str) -> None:
        self._eval_iters = 0
        self._display.start(mode, _length(runner, mode))

    def _after_eval_iter(self, runner: Runner, mode: str, batch_idx: int) -> None:
        self._display.advance()
        self._eval_iters += 1
        total = _length(runner, mode)
        done = batch_idx + 1
        if self._display.active or done % self.interval or done == total:
            return
        hub = runner.message_hub
        mean_time = hub.get_scalar(f"{mode}/time").mean(self._eval_iters)
        eta = datetime.timedelta(seconds=int(mean_time * (total - done))) if total else None
        parts = [f"{self._eval_head(runner, mode)}[{done:>{len(str(total))}}/{total}]"]
        if eta is not None:
            parts.append(f"eta: {eta}")
        parts += [f"{key}: {_format(hub.get_scalar(f'{mode}/{key}').mean(self._eval_iters))}" for key in _TIME_KEYS]
        runner.logger.info("  ".join(parts))

    def _after_eval_epoch(self, runner: Runner, mode: str, metrics: Mapping[str, Any] | None) -> None:
        self._display.stop()
        hub = runner.message_hub
        values: dict[str, Any] = dict(metrics or {})
        for key in _TIME_KEYS:
            if self._eval_iters and f"{mode}/{key}" in hub.scalars:
                values[key] = hub.get_scalar(f"{mode}/{key}").mean(self._eval_iters)
        count = self._eval_iters
        text = [f"{key}: {_format(value)}" for key, value in values.items()]
        runner.logger.info("  ".join([f"{self._eval_head(runner, mode)}[{count}/{count}]"] + text))
        scalars = {key: number for key, number in ((k, _number(v)) for k, v in values.items()) if number is not None}
        self._publish(runner, mode, scalars, _epoch_number(runner, mode), runner.iter)

    def _eval_head(self, runner: Runner, mode: str) -> str:
        if runner.mode == "train" and not runner.train_loop.by_epoch:
            return f"Iter({mode}) [{runner.iter}]"
        return f"Epoch({mode}) [{_epoch_number(runner, mode)}]"

    def after_val(self, runner: Runner) -> None:
        if runner.mode == "train" and not runner.train_loop.by_epoch:
            self._start_train_bar(runner)  # iteration-based training goes on below the validation bar

    def before_val_epoch(self, runner: Runner) -> None:
        self._before_eval_epoch(runner, "val")

    def before_test_epoch(self, runner: Runner) -> None:
        self._before_eval_epoch(runner, "test")

    def after_val_iter(self, runner: Runner, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        self._after_eval_iter(runner, "val", batch_idx)

    def after_test_iter(self, runner: Runner, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        self._after_eval_iter(runner, "test", batch_idx)

    def after_val_epoch(self, runner: Runner, metrics: Mapping[str, float] | None = None) -> None:
        self._after_eval_epoch(runner, "val", metrics)

    def after_test_epoch(self, runner: Runner, metrics: Mapping[str, float] | None = None) -> None:
        self._after_eval_epoch(runner, "test", metrics)

    # --- shared --------------------------------------------------------------------------------------
    @staticmethod
    def _publish(runner: Runner, mode: str, values: Mapping[str, float], epoch: int, iteration: int) -> None:
        scalars: dict[str, float] = {"epoch": epoch, "iter": iteration}
        scalars.update({f"{mode}/{key}": value for key, value in values.items()})
        runner.visualizer.add_scalars(scalars, step=iteration)


def _epoch_number(runner: Runner, mode: str) -> int:
    """The 1-based epoch a line belongs to: the epoch in progress for training lines, the epoch just
    trained for validation during training; for iteration-based training, the pass over the data."""
    loop = runner.train_loop if runner.mode == "train" else None
    if loop is None:
        return runner.epoch
    if not loop.by_epoch:
        return loop.data_epoch + 1
    return runner.epoch + 1 if mode == "train" else runner.epoch


def _length(runner: Runner, mode: str) -> int:
    loop = runner.val_loop if mode == "val" else runner.test_loop
    try:
        return len(loop.dataloader)
    except TypeError:
        return 0


def _cuda_memory_mb(runner: Runner) -> float | None:
    device = getattr(runner, "device", None)
    if device is None or getattr(device, "type", None) != "cuda":
        return None
    import torch

    return torch.cuda.max_memory_allocated(device) / 2**20


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError):  # e.g. a tensor with several elements
        return None


def _format(value: Any) -> str:
    number = _number(value)
    if number is None:
        return str(value)
    if number != 0 and math.isfinite(number) and (abs(number) < 1e-3 or abs(number) >= 1e5):
        return f"{number:.4e}"
    return f"{number:.4f}"
