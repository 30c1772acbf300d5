"""Runner hooks: the `Hook` base class, priorities, and the built-in hooks.

`Hook` and `Priority` import without torch; the built-in hooks are imported on first access.
"""

from __future__ import annotations

from .._lazy import lazy_getattr
from ._hook import HOOK_POINTS, Hook
from ._priority import Priority, get_priority

# name -> module in this package, for lazy imports here and lazy registration in vidcore.plugins._builtin
BUILTIN_HOOK_MODULES = {
    "RuntimeInfoHook": "runtime_info_hook",
    "IterTimerHook": "iter_timer_hook",
    "LoggerHook": "logger_hook",
    "CheckpointHook": "checkpoint_hook",
    "ParamSchedulerHook": "param_scheduler_hook",
    "DistSamplerSeedHook": "sampler_seed_hook",
    "EMAHook": "ema_hook",
    "EarlyStoppingHook": "early_stopping_hook",
    "SyncBuffersHook": "sync_buffers_hook",
}

__all__ = ["Hook", "HOOK_POINTS", "Priority", "get_priority", *BUILTIN_HOOK_MODULES]


__getattr__ = lazy_getattr(__name__, {name: f"._{module}" for name, module in BUILTIN_HOOK_MODULES.items()})
