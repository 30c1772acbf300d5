"""Momentum schedulers (`betas[0]` for Adam-like optimizers): `*ParamScheduler` with `param_name: momentum`."""

from __future__ import annotations

from typing import Any, Sequence

from .param_scheduler import (
    INF,
    ConstantParamScheduler,
    CosineAnnealingParamScheduler,
    CosineRestartParamScheduler,
    ExponentialParamScheduler,
    LinearParamScheduler,
    MultiStepParamScheduler,
    PolyParamScheduler,
    StepParamScheduler,
)

__all__ = [
    "ConstantMomentum",
    "LinearMomentum",
    "ExponentialMomentum",
    "StepMomentum",
    "MultiStepMomentum",
    "CosineAnnealingMomentum",
    "CosineRestartMomentum",
    "PolyMomentum",
]


class ConstantMomentum(ConstantParamScheduler):
    """Multiplies the momentum by `factor` until the window's last step."""

    param_name = "momentum"


class LinearMomentum(LinearParamScheduler):
    """Multiplies the momentum by a factor going linearly from `start_factor` to `end_factor` (e.g. warmup)."""

    param_name = "momentum"


class ExponentialMomentum(ExponentialParamScheduler):
    """Multiplies the momentum by `gamma ** step`."""

    param_name = "momentum"


class StepMomentum(StepParamScheduler):
    """Multiplies the momentum by `gamma` every `step_size` steps, never below `min_momentum`."""

    param_name = "momentum"

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1, min_momentum: float | None = None,
                 begin: float = 0, end: float = INF, by_epoch: bool = True, convert_to_iter_based: bool = False,
                 epoch_length: int | None = None) -> None:
        super().__init__(optimizer, step_size, gamma=gamma, min_value=min_momentum, begin=begin, end=end,
                         by_epoch=by_epoch, convert_to_iter_based=convert_to_iter_based, epoch_length=epoch_length)


class MultiStepMomentum(MultiStepParamScheduler):
    """Multiplies the momentum by `gamma` at each milestone, never below `min_momentum`."""

    param_name = "momentum"

    def __init__(self, optimizer: Any, milestones: Sequence[int], gamma: float = 0.1, min_momentum: float | None = None,
                 begin: float = 0, end: float = INF, by_epoch: bool = True, convert_to_iter_based: bool = False,
                 epoch_length: int | None = None) -> None:
        super().__init__(optimizer, milestones, gamma=gamma, min_value=min_momentum, begin=begin, end=end,
                         by_epoch=by_epoch, convert_to_iter_based=convert_to_iter_based, epoch_length=epoch_length)


class CosineAnnealingMomentum(CosineAnnealingParamScheduler):
    """Cosine annealing of the momentum down to `eta_min` (or `eta_min_ratio` x its initial value)."""

    param_name = "momentum"


class CosineRestartMomentum(CosineRestartParamScheduler):
    """Cosine annealing of the momentum with restarts after each of `periods`."""

    param_name = "momentum"


class PolyMomentum(PolyParamScheduler):
    """Polynomial decay of the momentum to `eta_min`."""

    param_name = "momentum"
