"""The core's own components, registered through the same hook as any plugin (as pytest does)."""

from __future__ import annotations

from ..registry._registry import Registry
from ._markers import hookimpl

_TORCH_OPTIMIZERS = (
    "SGD", "Adam", "AdamW", "Adamax", "Adagrad", "Adadelta", "ASGD", "NAdam", "RAdam", "RMSprop", "Rprop",
    "LBFGS", "SparseAdam",
)

# Resolved through vidcore.hooks' lazy attributes, so this layer imports no hook module.
_HOOKS = ("RuntimeInfoHook", "IterTimerHook", "LoggerHook", "CheckpointHook", "ParamSchedulerHook",
          "DistSamplerSeedHook", "EMAHook", "EarlyStoppingHook", "SyncBuffersHook")

_SCHEDULES = ("Constant", "Linear", "Exponential", "Step", "MultiStep", "CosineAnnealing", "CosineRestart", "Poly")
_LR_ONLY_SCHEDULES = ("ExponentialWarmup", "OneCycle")  # no *Momentum variant
_SCHEDULER_MODULE = "vidcore.optim.scheduler"

# kind -> {name: "module:attr"}; imported only when a config builds the component.
CORE_COMPONENTS: dict[str, dict[str, str]] = {
    "optimizers": {name: f"torch.optim:{name}" for name in _TORCH_OPTIMIZERS},
    "optim_wrappers": {
        "OptimWrapper": "vidcore.optim._optim_wrapper:OptimWrapper",
        "AmpOptimWrapper": "vidcore.optim._amp_optim_wrapper:AmpOptimWrapper",
    },
    "optim_constructors": {
        "DefaultOptimWrapperConstructor": "vidcore.optim._constructor:DefaultOptimWrapperConstructor",
    },
    "param_schedulers": {
        **{f"{name}LR": f"{_SCHEDULER_MODULE}._lr_scheduler:{name}LR" for name in _SCHEDULES},
        **{f"{name}Momentum": f"{_SCHEDULER_MODULE}._momentum_scheduler:{name}Momentum" for name in _SCHEDULES},
        **{f"{name}ParamScheduler": f"{_SCHEDULER_MODULE}._param_scheduler:{name}ParamScheduler"
           for name in _SCHEDULES},
        **{f"{name}{suffix}": f"{_SCHEDULER_MODULE}._{module}:{name}{suffix}" for name in _LR_ONLY_SCHEDULES
           for suffix, module in (("LR", "lr_scheduler"), ("ParamScheduler", "param_scheduler"))},
    },
    "hooks": {name: f"vidcore.hooks:{name}" for name in _HOOKS},
    "loops": {name: f"vidcore.runner._loops:{name}"
              for name in ("EpochBasedTrainLoop", "IterBasedTrainLoop", "ValLoop", "TestLoop")},
    "samplers": {name: f"vidcore.runner._samplers:{name}" for name in ("DefaultSampler", "InfiniteSampler")},
    "collate_fns": {name: f"vidcore.runner._collate:{name}"
                    for name in ("pseudo_collate", "stack_inputs_collate", "default_collate", "repeat_pseudo_collate")},
    "vis_backends": {"LocalVisBackend": "vidcore.visualization._local_backend:LocalVisBackend"},
    "visualizers": {"Visualizer": "vidcore.visualization._visualizer:Visualizer"},
    "metrics": {"DumpResults": "vidcore.evaluation._dump_results:DumpResults"},
    "datasets": {name: f"vidcore.dataset._wrappers:{name}"
                 for name in ("ConcatDataset", "RepeatDataset", "ClassBalancedDataset")},
}


@hookimpl
def vidcore_register(registry: Registry) -> None:
    for kind, components in CORE_COMPONENTS.items():
        registry.register_many(kind, components)
