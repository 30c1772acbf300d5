"""`RuntimeInfoHook`: records epoch, iteration, lr, losses and metrics in the runner's message hub."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from ._hook import Hook

if TYPE_CHECKING:
    from ..runner import Runner


class RuntimeInfoHook(Hook):
    """Keeps `runner.message_hub` current so that other hooks (logger, checkpoint) read one source.

    Scalars: `train/lr` (the first parameter group's, before the iteration), `train/<loss key>` for
    every key of the loss dict, `val/<metric>` and `test/<metric>`. Info: `epoch`, `iter`,
    `max_epochs`, `max_iters`.
    """

    priority = "VERY_HIGH"

    def before_train(self, runner: Runner) -> None:
        hub = runner.message_hub
        hub.update_info("max_epochs", runner.max_epochs)
        hub.update_info("max_iters", runner.max_iters)
        hub.update_info("epoch", runner.epoch)
        hub.update_info("iter", runner.iter)

    def before_train_epoch(self, runner: Runner) -> None:
        runner.message_hub.update_info("epoch", runner.epoch)

    def before_train_iter(self, runner: Runner, batch_idx: int, data_batch: Any = None) -> None:
        hub = runner.message_hub
        hub.update_info("iter", runner.iter)
        hub.update_scalar("train/lr", runner.optim_wrapper.param_groups[0]["lr"])

    def after_train_iter(self, runner: Runner, batch_idx: int, data_batch: Any = None,
                         outputs: Mapping[str, Any] | None = None) -> None:
        if outputs:
            runner.message_hub.update_scalars(dict(outputs), prefix="train/")

    def after_train(self, runner: Runner) -> None:
        runner.message_hub.update_info("epoch", runner.epoch)
        runner.message_hub.update_info("iter", runner.iter)

    def after_val_epoch(self, runner: Runner, metrics: Mapping[str, float] | None = None) -> None:
        if metrics:
            runner.message_hub.update_scalars(dict(metrics), prefix="val/")

    def after_test_epoch(self, runner: Runner, metrics: Mapping[str, float] | None = None) -> None:
        if metrics:
            runner.message_hub.update_scalars(dict(metrics), prefix="test/")
