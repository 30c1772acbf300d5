"""Parameter schedulers: learning rate and momentum schedules with `begin`/`end` windows."""

from ._lr_scheduler import (
    ConstantLR,
    CosineAnnealingLR,
    CosineRestartLR,
    ExponentialLR,
    ExponentialWarmupLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    PolyLR,
    StepLR,
)
from ._momentum_scheduler import (
    ConstantMomentum,
    CosineAnnealingMomentum,
    CosineRestartMomentum,
    ExponentialMomentum,
    LinearMomentum,
    MultiStepMomentum,
    PolyMomentum,
    StepMomentum,
)
from ._param_scheduler import (
    INF,
    ConstantParamScheduler,
    CosineAnnealingParamScheduler,
    CosineRestartParamScheduler,
    ExponentialParamScheduler,
    ExponentialWarmupParamScheduler,
    LinearParamScheduler,
    MultiStepParamScheduler,
    OneCycleParamScheduler,
    ParamScheduler,
    PolyParamScheduler,
    StepParamScheduler,
)

__all__ = [
    "INF",
    "ParamScheduler",
    "ConstantParamScheduler", "LinearParamScheduler", "ExponentialParamScheduler", "StepParamScheduler",
    "MultiStepParamScheduler", "CosineAnnealingParamScheduler", "CosineRestartParamScheduler", "PolyParamScheduler",
    "ExponentialWarmupParamScheduler", "OneCycleParamScheduler",
    "ConstantLR", "LinearLR", "ExponentialLR", "StepLR", "MultiStepLR", "CosineAnnealingLR", "CosineRestartLR",
    "PolyLR", "ExponentialWarmupLR", "OneCycleLR",
    "ConstantMomentum", "LinearMomentum", "ExponentialMomentum", "StepMomentum", "MultiStepMomentum",
    "CosineAnnealingMomentum", "CosineRestartMomentum", "PolyMomentum",
]
