"""`SyncBuffersHook`: average the model's buffers (BatchNorm running statistics) over the ranks, once per epoch."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from ..dist import is_distributed, unwrap_model
from ._hook import Hook

if TYPE_CHECKING:
    from ..runner import Runner


class SyncBuffersHook(Hook):
    """mmengine's hook: at the end of each training epoch, and before a validation that no epoch end
    preceded (iteration-based training), every rank's floating-point buffers become their mean over the
    ranks, so that validation and checkpoints see statistics of all the data. A no-op in one process.

    DistributedDataParallel's default `broadcast_buffers: true` already copies rank 0's buffers at every
    forward pass; the hook matters with `model_wrapper_cfg.broadcast_buffers: false`, or for models whose
    buffers change outside the forward pass.
    """

    priority = "NORMAL"

    def __init__(self) -> None:
        self._synced_after_epoch = False

    def after_train_epoch(self, runner: Runner) -> None:
        if is_distributed():
            all_reduce_buffers(unwrap_model(runner.model))
            self._synced_after_epoch = True

    def before_val_epoch(self, runner: Runner) -> None:
        if is_distributed() and not self._synced_after_epoch:
            all_reduce_buffers(unwrap_model(runner.model))
        self._synced_after_epoch = False


def all_reduce_buffers(model: torch.nn.Module) -> None:
    """Replace each floating-point buffer by its mean over the ranks, one collective per dtype and device.
    Integer buffers (counters such as `num_batches_tracked`) advance alike on every rank and are left alone.
    Collective: every rank must call it."""
    groups: dict[tuple[torch.dtype, torch.device], list[torch.Tensor]] = {}
    for buffer in model.buffers():
        if buffer.is_floating_point() or buffer.is_complex():
            groups.setdefault((buffer.dtype, buffer.device), []).append(buffer)
    world_size = torch.distributed.get_world_size()
    for buffers in groups.values():  # the same model on every rank: the same groups in the same order
        flat = torch.cat([buffer.detach().reshape(-1) for buffer in buffers])
        torch.distributed.all_reduce(flat)
        flat /= world_size
        offset = 0
        for buffer in buffers:
            buffer.data.copy_(flat[offset:offset + buffer.numel()].view_as(buffer))
            offset += buffer.numel()

