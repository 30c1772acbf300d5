"""`ParamSchedulerHook`: steps iteration-based schedulers after each iteration, epoch-based after each epoch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from ._hook import Hook

if TYPE_CHECKING:
    from ..runner import Runner


class ParamSchedulerHook(Hook):
    """Runs after the logger (priority LOW), so the lr logged for an iteration is the one it used."""

    priority = "LOW"

    def after_train_iter(self, runner: Runner, batch_idx: int, data_batch: Any = None,
                         outputs: Mapping[str, Any] | None = None) -> None:
        for scheduler in runner.param_schedulers:
            if not scheduler.by_epoch:
                scheduler.step()

    def after_train_epoch(self, runner: Runner) -> None:
        for scheduler in runner.param_schedulers:
            if scheduler.by_epoch:
                scheduler.step()
