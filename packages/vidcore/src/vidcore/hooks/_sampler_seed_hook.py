"""`DistSamplerSeedHook`: tells the training sampler which epoch starts, so each epoch shuffles differently."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._hook import Hook

if TYPE_CHECKING:
    from ..runner import Runner


class DistSamplerSeedHook(Hook):
    """Calls `set_epoch(epoch)` on the train dataloader's sampler (or its batch sampler's sampler)."""

    priority = "NORMAL"

    def before_train_epoch(self, runner: Runner) -> None:
        loader = runner.train_loop.dataloader
        sampler = getattr(loader, "sampler", None)
        if not hasattr(sampler, "set_epoch"):
            sampler = getattr(getattr(loader, "batch_sampler", None), "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(runner.epoch)
