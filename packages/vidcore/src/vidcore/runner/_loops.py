"""Loops (kind `loops`): `EpochBasedTrainLoop`, `IterBasedTrainLoop`, `ValLoop`, `TestLoop`.

A loop drives one phase: it iterates its dataloader, calls the runner's step and the hooks. The runner
injects `runner`, `dataloader` and, for evaluation loops, `evaluator`.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Iterator

import torch

from ..errors import DataError
from ._dataloader import seed_dataloader, skip_batches, user_errors_from_workers
from ._nan_guard import NanGuard

if TYPE_CHECKING:
    from ..evaluation import Evaluator
    from ._runner import Runner


class BaseLoop:
    def __init__(self, runner: Runner, dataloader: Any) -> None:
        self.runner = runner
        self.dataloader = dataloader

    def run(self) -> Any:
        raise NotImplementedError


def _positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _length(dataloader: Any) -> int:
    try:
        return len(dataloader)
    except TypeError:
        raise DataError("the train dataloader has no length (an iterable dataset); "
                        "use IterBasedTrainLoop with max_iters") from None


def _batches_from(loader: Any, start: int) -> Iterator[Any]:
    """The loader's batches from batch `start` on: skipped by the sampler when it can, else read and dropped."""
    if skip_batches(loader, start):
        return user_errors_from_workers(loader)
    return itertools.islice(user_errors_from_workers(loader), start, None)


class _TrainLoop(BaseLoop):
    """What both train loops share: the iteration step, validation scheduling, resumable position, the
    non-finite-loss policy (`nan_policy`, `max_consecutive_nan`: see NanGuard) and the safe points where
    a SIGINT/SIGTERM stop takes effect."""

    by_epoch = True

    def __init__(self, runner: Runner, dataloader: Any, val_begin: int, val_interval: int,
                 nan_policy: str = "raise", max_consecutive_nan: int = 10) -> None:
        super().__init__(runner, dataloader)
        self.val_begin = val_begin
        self.val_interval = _positive("val_interval", val_interval)
        self.nan_guard = NanGuard(runner, nan_policy, max_consecutive_nan)
        self.stop_training = False
        self._epoch = 0
        self._iter = 0
        self.inner_iter = 0  # batches done in the current pass over the data
        self._in_iteration = False  # inside after_train_iter: the iteration counts as done
        self._in_epoch_end = False  # inside after_train_epoch: the epoch counts as done

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def iter(self) -> int:
        return self._iter

    @property
    def data_epoch(self) -> int:
        """Completed passes over the training data."""
        return self._epoch

    def run_iter(self, batch_idx: int, data_batch: Any) -> None:
        runner = self.runner
        runner.call_hook("before_train_iter", batch_idx=batch_idx, data_batch=data_batch)
        outputs = runner.train_step(data_batch)
        self._in_iteration = True
        try:
            runner.call_hook("after_train_iter", batch_idx=batch_idx, data_batch=data_batch, outputs=outputs)
        finally:
            self._in_iteration = False
        self._iter += 1
        self.inner_iter += 1

    def safe_point(self) -> None:
        """Between iterations, outside every hook: where a requested stop (SIGINT/SIGTERM) writes its
        checkpoint and ends training. Collective under DDP (all ranks reach the same safe points)."""
        self.runner.stop_if_requested()

    def _val_due_at(self, count: int) -> bool:
        return count >= self.val_begin and (count % self.val_interval == 0 or count == self._val_total())

    def _val_total(self) -> int:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """The position to resume from, as seen after the iteration/epoch whose hooks are running."""
        done = 1 if self._in_iteration else 0
        state = {"epoch": self._epoch, "iter": self._iter + done, "inner_iter": self.inner_iter + done,
                 "nan_guard": self.nan_guard.state_dict()}
        if self._in_epoch_end:
            state.update(epoch=self._epoch + 1, inner_iter=0)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._epoch = int(state["epoch"])
        self._iter = int(state["iter"])
        self.inner_iter = int(state.get("inner_iter", 0))
        self.nan_guard.load_state_dict(state.get("nan_guard") or {})


class EpochBasedTrainLoop(_TrainLoop):
    """`max_epochs` passes over the train dataloader; validation after epoch `val_begin` and then every
    `val_interval` epochs, and after the last one."""

    by_epoch = True

    def __init__(self, runner: Runner, dataloader: Any, max_epochs: int, val_begin: int = 1,
                 val_interval: int = 1, nan_policy: str = "raise", max_consecutive_nan: int = 10) -> None:
        super().__init__(runner, dataloader, val_begin, val_interval, nan_policy, max_consecutive_nan)
        self._max_epochs = _positive("max_epochs", max_epochs)
        self.epoch_length = _length(dataloader)
        if self.epoch_length == 0:
            raise DataError("the train dataloader yields no batches (empty dataset, or drop_last with a "
                            "batch larger than the dataset)")

    @property
    def max_epochs(self) -> int:
        return self._max_epochs

    @property
    def max_iters(self) -> int:
        return self._max_epochs * self.epoch_length

    def _val_total(self) -> int:
        return self._max_epochs

    def val_due(self) -> bool:
        """Whether validation runs right after the epoch in progress."""
        return self.runner.val_loop is not None and self._val_due_at(self._epoch + 1)

    def run(self) -> Any:
        runner = self.runner
        runner.call_hook("before_train")
        while self._epoch < self._max_epochs and not self.stop_training:
            self.safe_point()
            self.run_epoch()
            if runner.val_loop is not None and self._val_due_at(self._epoch):
                runner.val_loop.run()
        runner.call_hook("after_train")
        return runner.model

    def run_epoch(self) -> None:
        runner = self.runner
        runner.call_hook("before_train_epoch")
        runner.model.train()
        seed_dataloader(self.dataloader, runner.seed + self._epoch)
        start = self.inner_iter
        runner.optim_wrapper.initialize_count_status(runner.model, self._iter,
                                                     self._iter - start + self.epoch_length)
        for batch_idx, data_batch in enumerate(_batches_from(self.dataloader, start), start=start):
            self.run_iter(batch_idx, data_batch)
            if self.inner_iter < self.epoch_length:  # after the last one: once the epoch's end and validation ran
                self.safe_point()
        self.nan_guard.flush()
        self._in_epoch_end = True
        try:
            runner.call_hook("after_train_epoch")
        finally:
            self._in_epoch_end = False
        self._epoch += 1
        self.inner_iter = 0


class IterBasedTrainLoop(_TrainLoop):
    """`max_iters` iterations, cycling through the dataloader; validation after iteration `val_begin` and
    then every `val_interval` iterations, and after the last one. The whole run is one "epoch" for the
    epoch hook points; `data_epoch` counts the passes over the data."""

    by_epoch = False

    def __init__(self, runner: Runner, dataloader: Any, max_iters: int, val_begin: int = 1,
                 val_interval: int = 1000, nan_policy: str = "raise", max_consecutive_nan: int = 10) -> None:
        super().__init__(runner, dataloader, val_begin, val_interval, nan_policy, max_consecutive_nan)
        self._max_iters = _positive("max_iters", max_iters)
        self._data_epoch = 0
        try:
            self.epoch_length = len(dataloader)
        except TypeError:
            self.epoch_length = 0

    @property
    def max_epochs(self) -> int:
        return 1

    @property
    def max_iters(self) -> int:
        return self._max_iters

    @property
    def data_epoch(self) -> int:
        return self._data_epoch

    def _val_total(self) -> int:
        return self._max_iters

    def val_due(self) -> bool:
        """Whether validation runs right after the iteration in progress."""
        return self.runner.val_loop is not None and self._val_due_at(self._iter + 1)

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["data_epoch"] = self._data_epoch
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._data_epoch = int(state.get("data_epoch", 0))

    def _batches(self) -> Iterator[Any]:
        """Batches forever: each pass reseeds the loader and tells the sampler its epoch."""
        runner = self.runner
        while True:
            seed_dataloader(self.dataloader, runner.seed + self._data_epoch)
            sampler = getattr(self.dataloader, "sampler", None)
            if hasattr(sampler, "set_epoch"):
                sampler.set_epoch(self._data_epoch)
            yielded = False
            for data_batch in _batches_from(self.dataloader, self.inner_iter):
                yielded = True
                yield data_batch
            if not yielded and self.inner_iter == 0:
                raise DataError("the train dataloader yields no batches")
            self._data_epoch += 1
            self.inner_iter = 0

    def run(self) -> Any:
        runner = self.runner
        runner.call_hook("before_train")
        runner.call_hook("before_train_epoch")
        runner.model.train()
        runner.optim_wrapper.initialize_count_status(runner.model, self._iter, self._max_iters)
        batches = self._batches()
        while self._iter < self._max_iters and not self.stop_training:
            self.safe_point()
            self.run_iter(self._iter, next(batches))
            if runner.val_loop is not None and self._val_due_at(self._iter):
                self.nan_guard.flush()
                runner.val_loop.run()
                runner.model.train()
        self.nan_guard.flush()
        runner.call_hook("after_train_epoch")
        runner.call_hook("after_train")
        return runner.model


class _EvalLoop(BaseLoop):
    """One pass over the dataloader in eval mode without gradients; the evaluator computes the metrics."""

    mode = "val"

    def __init__(self, runner: Runner, dataloader: Any, evaluator: Evaluator) -> None:
        super().__init__(runner, dataloader)
        self.evaluator = evaluator

    def run(self) -> dict[str, float]:
        runner, mode = self.runner, self.mode
        runner.call_hook(f"before_{mode}")
        runner.call_hook(f"before_{mode}_epoch")
        runner.model.eval()
        seed_dataloader(self.dataloader, runner.seed)  # every evaluation sees the same data and augmentation
        with torch.no_grad():
            for batch_idx, data_batch in enumerate(user_errors_from_workers(self.dataloader)):
                runner.call_hook(f"before_{mode}_iter", batch_idx=batch_idx, data_batch=data_batch)
                outputs = runner.predict_step(data_batch)
                self.evaluator.process(data_samples=outputs, data_batch=data_batch)
                runner.call_hook(f"after_{mode}_iter", batch_idx=batch_idx, data_batch=data_batch, outputs=outputs)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        runner.call_hook(f"after_{mode}_epoch", metrics=metrics)
        runner.call_hook(f"after_{mode}")
        return metrics


class ValLoop(_EvalLoop):
    """Validation: hook points `before_val` ... `after_val`; metrics go to logs, backends and save_best."""

    mode = "val"


class TestLoop(_EvalLoop):
    """Test: hook points `before_test` ... `after_test`."""

    mode = "test"
