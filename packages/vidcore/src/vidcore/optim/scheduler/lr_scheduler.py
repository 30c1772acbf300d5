"""Learning-rate schedulers: the `*ParamScheduler` classes with `param_name: lr`."""

from __future__ import annotations

from typing import Any, Sequence

from .param_scheduler import (
    INF,
    ConstantParamScheduler,
    CosineAnnealingParamScheduler,
    CosineRestartParamScheduler,
    ExponentialParamScheduler,
    ExponentialWarmupParamScheduler,
    LinearParamScheduler,
    MultiStepParamScheduler,
    OneCycleParamScheduler,
    PolyParamScheduler,
    StepParamScheduler,
)

__all__ = [
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "StepLR",
    "MultiStepLR",
    "CosineAnnealingLR",
    "CosineRestartLR",
    "PolyLR",
    "ExponentialWarmupLR",
    "OneCycleLR",
]


class ConstantLR(ConstantParamScheduler):
    """Multiplies the learning rate by `factor` until the window's last step."""

    param_name = "lr"


class LinearLR(LinearParamScheduler):
    """Multiplies the learning rate by a factor going linearly from `start_factor` to `end_factor` (e.g. warmup)."""

    param_name = "lr"


class ExponentialLR(ExponentialParamScheduler):
    """Multiplies the learning rate by `gamma ** step`."""

    param_name = "lr"


class StepLR(StepParamScheduler):
    """Multiplies the learning rate by `gamma` every `step_size` steps, never below `min_lr`."""

    param_name = "lr"

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1, min_lr: float | None = None,
                 begin: float = 0, end: float = INF, by_epoch: bool = True, convert_to_iter_based: bool = False,
                 epoch_length: int | None = None) -> None:
        super().__init__(optimizer, step_size, gamma=gamma, min_value=min_lr, begin=begin, end=end,
                         by_epoch=by_epoch, convert_to_iter_based=convert_to_iter_based, epoch_length=epoch_length)


class MultiStepLR(MultiStepParamScheduler):
    """Multiplies the learning rate by `gamma` at each milestone, never below `min_lr`."""

    param_name = "lr"

    def __init__(self, optimizer: Any, milestones: Sequence[int], gamma: float = 0.1, min_lr: float | None = None,
                 begin: float = 0, end: float = INF, by_epoch: bool = True, convert_to_iter_based: bool = False,
                 epoch_length: int | None = None) -> None:
        super().__init__(optimizer, milestones, gamma=gamma, min_value=min_lr, begin=begin, end=end,
                         by_epoch=by_epoch, convert_to_iter_based=convert_to_iter_based, epoch_length=epoch_length)


class CosineAnnealingLR(CosineAnnealingParamScheduler):
    """Cosine annealing of the learning rate down to `eta_min` (or `eta_min_ratio` x its initial value)."""

    param_name = "lr"


class CosineRestartLR(CosineRestartParamScheduler):
    """Cosine annealing of the learning rate with restarts after each of `periods`."""

    param_name = "lr"


class PolyLR(PolyParamScheduler):
    """Polynomial decay of the learning rate to `eta_min`."""

    param_name = "lr"


class ExponentialWarmupLR(ExponentialWarmupParamScheduler):
    """Exponential warmup: the learning rate grows geometrically from `start_factor` x lr to lr over the window
    (mmcv's `warmup='exp'`)."""

    param_name = "lr"


class OneCycleLR(OneCycleParamScheduler):
    """The 1cycle learning-rate policy (`eta_max`, `total_steps`, `pct_start`, `anneal_strategy`, `div_factor`,
    `final_div_factor`, `three_phase`), as mmengine's OneCycleLR."""

    param_name = "lr"
