"""`EMAHook`: an exponential moving average of the model's weights, used for validation and saved as weights."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from ..dist import unwrap_model
from ._hook import Hook

if TYPE_CHECKING:
    from ..runner import Runner


class EMAHook(Hook):
    """After each training iteration: `ema = (1 - momentum) * ema + momentum * weights` (torch's AveragedModel).

    Validation and test run on the averaged weights. Checkpoints hold them as `state_dict` (so
    `load_from` and `vidcore test` use them) and the training weights as `ema_state_dict`; resuming
    restores both. Before `begin_iter`/`begin_epoch` the average just follows the weights.
    `update_buffers` also averages buffers (e.g. BatchNorm statistics) instead of copying them.
    """

    priority = "NORMAL"

    def __init__(self, momentum: float = 0.0002, update_buffers: bool = False, begin_iter: int = 0,
                 begin_epoch: int = 0) -> None:
        if not 0 < momentum < 1:
            raise ValueError(f"momentum must be between 0 and 1, got {momentum}")
        self.momentum = momentum
        self.update_buffers = update_buffers
        self.begin_iter = begin_iter
        self.begin_epoch = begin_epoch
        self.ema: AveragedModel | None = None

    def before_run(self, runner: Runner) -> None:
        if self.ema is not None:  # a later phase of the same runner (test after train) keeps the average
            return
        model = unwrap_model(runner.model)
        self.ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(1 - self.momentum),
                                 use_buffers=self.update_buffers)

    def after_train_iter(self, runner: Runner, batch_idx: int, data_batch: Any = None,
                         outputs: Mapping[str, Any] | None = None) -> None:
        assert self.ema is not None
        model = unwrap_model(runner.model)
        if runner.iter + 1 > self.begin_iter and runner.epoch >= self.begin_epoch:
            self.ema.update_parameters(model)
        else:
            self._copy(model, self.ema.module)

    def _weights(self, module: torch.nn.Module) -> list[torch.Tensor]:
        tensors = list(module.parameters())
        return tensors + list(module.buffers()) if self.update_buffers else tensors

    @torch.no_grad()
    def _copy(self, source: torch.nn.Module, target: torch.nn.Module) -> None:
        for to, value in zip(self._weights(target), self._weights(source)):
            to.copy_(value)

    @torch.no_grad()
    def _swap(self, runner: Runner) -> None:
        assert self.ema is not None
        for own, averaged in zip(self._weights(unwrap_model(runner.model)), self._weights(self.ema.module)):
            saved = own.detach().clone()
            own.copy_(averaged)
            averaged.copy_(saved)

    def before_val_epoch(self, runner: Runner) -> None:
        self._swap(runner)

    def after_val_epoch(self, runner: Runner, metrics: Mapping[str, float] | None = None) -> None:
        self._swap(runner)

    def before_test_epoch(self, runner: Runner) -> None:
        self._swap(runner)

    def after_test_epoch(self, runner: Runner, metrics: Mapping[str, float] | None = None) -> None:
        self._swap(runner)

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        assert self.ema is not None
        checkpoint["ema_state_dict"] = checkpoint["state_dict"]
        checkpoint["state_dict"] = {key: value.detach().cpu() for key, value in self.ema.module.state_dict().items()}
        checkpoint["ema_n_averaged"] = self.ema.n_averaged.detach().cpu()

    @torch.no_grad()
    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        """The runner loaded `state_dict` (the average) into the model; on resume, put the training
        weights back into the model and the average into the EMA copy."""
        assert self.ema is not None
        model = unwrap_model(runner.model)
        self.ema.module.load_state_dict(model.state_dict())
        if runner.resuming and "ema_state_dict" in checkpoint:
            model.load_state_dict(checkpoint["ema_state_dict"])
            if "ema_n_averaged" in checkpoint:
                self.ema.n_averaged.copy_(checkpoint["ema_n_averaged"])
