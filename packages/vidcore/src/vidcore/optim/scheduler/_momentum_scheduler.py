"""Momentum schedulers (`betas[0]` for Adam-like optimizers): each `*ParamScheduler` with `param_name: momentum`
(and `min_momentum`)."""

from __future__ import annotations

from ._for_parameter import for_parameter
from ._param_scheduler import (
    ConstantParamScheduler,
    CosineAnnealingParamScheduler,
    CosineRestartParamScheduler,
    ExponentialParamScheduler,
    LinearParamScheduler,
    MultiStepParamScheduler,
    PolyParamScheduler,
    StepParamScheduler,
)

ConstantMomentum = for_parameter(ConstantParamScheduler, "ConstantMomentum", "momentum", "momentum", __name__)
LinearMomentum = for_parameter(LinearParamScheduler, "LinearMomentum", "momentum", "momentum", __name__)
ExponentialMomentum = for_parameter(ExponentialParamScheduler, "ExponentialMomentum", "momentum", "momentum", __name__)
StepMomentum = for_parameter(StepParamScheduler, "StepMomentum", "momentum", "momentum", __name__)
MultiStepMomentum = for_parameter(MultiStepParamScheduler, "MultiStepMomentum", "momentum", "momentum", __name__)
CosineAnnealingMomentum = for_parameter(
    CosineAnnealingParamScheduler, "CosineAnnealingMomentum", "momentum", "momentum", __name__)
CosineRestartMomentum = for_parameter(
    CosineRestartParamScheduler, "CosineRestartMomentum", "momentum", "momentum", __name__)
PolyMomentum = for_parameter(PolyParamScheduler, "PolyMomentum", "momentum", "momentum", __name__)
