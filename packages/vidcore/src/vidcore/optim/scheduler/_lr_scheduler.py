"""Learning-rate schedulers: each `*ParamScheduler` with `param_name: lr` (and `min_lr`)."""

from __future__ import annotations

from ._for_parameter import for_parameter
from ._param_scheduler import (
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

ConstantLR = for_parameter(ConstantParamScheduler, "ConstantLR", "lr", "learning rate", __name__)
LinearLR = for_parameter(LinearParamScheduler, "LinearLR", "lr", "learning rate", __name__)
ExponentialLR = for_parameter(ExponentialParamScheduler, "ExponentialLR", "lr", "learning rate", __name__)
StepLR = for_parameter(StepParamScheduler, "StepLR", "lr", "learning rate", __name__)
MultiStepLR = for_parameter(MultiStepParamScheduler, "MultiStepLR", "lr", "learning rate", __name__)
CosineAnnealingLR = for_parameter(CosineAnnealingParamScheduler, "CosineAnnealingLR", "lr", "learning rate", __name__)
CosineRestartLR = for_parameter(CosineRestartParamScheduler, "CosineRestartLR", "lr", "learning rate", __name__)
PolyLR = for_parameter(PolyParamScheduler, "PolyLR", "lr", "learning rate", __name__)
ExponentialWarmupLR = for_parameter(
    ExponentialWarmupParamScheduler, "ExponentialWarmupLR", "lr", "learning rate", __name__)
OneCycleLR = for_parameter(OneCycleParamScheduler, "OneCycleLR", "lr", "learning rate", __name__)
