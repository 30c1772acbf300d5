"""mmaction2 0.x optimizer and schedule settings -> vidcore `optim_wrapper`, `param_scheduler`, `train_cfg`.

mmcv's `lr_config` policies become mmengine-style schedulers that reproduce the same learning rate:
a warmup (`LinearLR`/`ConstantLR` from 0 to `warmup_iters`) multiplies the main schedule, which spans the
whole run as in mmcv (`MultiStepLR`, `StepLR`, `CosineAnnealingLR`, `CosineRestartLR`, `PolyLR`,
`ExponentialLR`).
"""

from __future__ import annotations

from typing import Any

from .diagnostics import Reporter

__all__ = ["map_optimizer", "map_lr_config", "map_runner"]


def map_optimizer(optimizer: Any, optimizer_config: Any, fp16: Any, reporter: Reporter) -> dict[str, Any]:
    """`optimizer` (+ `paramwise_cfg`/`constructor`), `optimizer_config` (grad_clip, cumulative iters) and
    `fp16` -> `optim_wrapper`."""
    wrapper: dict[str, Any] = {}
    if isinstance(optimizer, dict):
        optimizer = dict(optimizer)
        for key in ("paramwise_cfg", "constructor"):
            if key in optimizer:
                wrapper[key] = optimizer.pop(key)
        constructor = wrapper.get("constructor")
        if isinstance(constructor, str) and constructor.endswith("OptimizerConstructor"):
            # mmengine renamed every optimizer constructor (DefaultOptimizerConstructor, TSMOptimizerConstructor)
            wrapper["constructor"] = constructor.removesuffix("OptimizerConstructor") + "OptimWrapperConstructor"
            reporter.note("optimizer.constructor", f"{constructor} -> {wrapper['constructor']}")
        wrapper["optimizer"] = optimizer
    elif optimizer is not None:
        reporter.warn("optimizer", f"expected a dict, got {type(optimizer).__name__}; dropped")
    if isinstance(optimizer_config, dict):
        settings = dict(optimizer_config)
        hook_type = settings.pop("type", "OptimizerHook")
        clip = settings.pop("grad_clip", None)
        if clip is not None:
            wrapper["clip_grad"] = clip
        for key in ("cumulative_iters", "update_interval"):
            if key in settings:
                wrapper["accumulative_counts"] = settings.pop(key)
        if hook_type in ("Fp16OptimizerHook", "GradientCumulativeFp16OptimizerHook"):
            wrapper["type"] = "AmpOptimWrapper"
            if "loss_scale" in settings:
                wrapper["loss_scale"] = settings.pop("loss_scale")
        elif hook_type not in ("OptimizerHook", "GradientCumulativeOptimizerHook", "DistOptimizerHook"):
            reporter.warn("optimizer_config.type", f"optimizer hook {hook_type} has no vidcore equivalent; ignored")
        settings.pop("distributed", None)
        for key in settings:
            reporter.warn(f"optimizer_config.{key}", "no optim_wrapper equivalent; dropped")
    elif optimizer_config is not None:
        reporter.warn("optimizer_config", f"expected a dict, got {type(optimizer_config).__name__}; dropped")
    if isinstance(fp16, dict):
        wrapper["type"] = "AmpOptimWrapper"
        if "loss_scale" in fp16:
            wrapper["loss_scale"] = fp16["loss_scale"]
        reporter.note("fp16", "mixed precision -> optim_wrapper.type AmpOptimWrapper")
    return wrapper


def map_runner(total_epochs: Any, runner: Any, reporter: Reporter) -> dict[str, Any]:
    """`total_epochs` or `runner = dict(type=EpochBasedRunner|IterBasedRunner, max_epochs|max_iters)` -> `train_cfg`."""
    if isinstance(runner, dict):
        kind = runner.get("type", "EpochBasedRunner")
        if kind == "IterBasedRunner":
            return {"type": "IterBasedTrainLoop", "max_iters": runner.get("max_iters")}
        if kind != "EpochBasedRunner":
            reporter.warn("runner.type", f"runner {kind} has no vidcore equivalent; an epoch-based loop is used")
        max_epochs = runner.get("max_epochs", total_epochs)
        if total_epochs is not None and max_epochs != total_epochs:
            reporter.warn("total_epochs", f"total_epochs={total_epochs} disagrees with runner.max_epochs={max_epochs}"
                          "; runner.max_epochs is used")
        return {"type": "EpochBasedTrainLoop", "max_epochs": max_epochs}
    if total_epochs is not None:
        return {"type": "EpochBasedTrainLoop", "max_epochs": total_epochs}
    return {}


def map_lr_config(lr_config: Any, train_cfg: dict[str, Any], reporter: Reporter) -> list[dict[str, Any]]:
    """mmcv `lr_config` (policy + warmup) -> a `param_scheduler` list."""
    if lr_config is None:
        return []
    if not isinstance(lr_config, dict):
        reporter.warn("lr_config", f"expected a dict, got {type(lr_config).__name__}; dropped")
        return []
    settings = dict(lr_config)
    policy = settings.pop("policy", None)
    by_epoch = settings.pop("by_epoch", True)
    iter_based = train_cfg.get("type") == "IterBasedTrainLoop"
    end = train_cfg.get("max_iters") if iter_based else train_cfg.get("max_epochs")
    if iter_based and by_epoch:
        by_epoch = False
    schedulers: list[dict[str, Any]] = []
    warmup = _warmup(settings, iter_based, reporter)
    if warmup:
        schedulers.append(warmup)
    main = _main_schedule(policy, settings, by_epoch, end, reporter)
    if main:
        schedulers.append(main)
    for key in settings:
        reporter.warn(f"lr_config.{key}", f"not supported for policy {policy!r}; dropped")
    return schedulers


def _warmup(settings: dict[str, Any], iter_based: bool, reporter: Reporter) -> dict[str, Any] | None:
    kind = settings.pop("warmup", None)
    iters = settings.pop("warmup_iters", 0)
    ratio = settings.pop("warmup_ratio", 0.1)
    warmup_by_epoch = settings.pop("warmup_by_epoch", False) and not iter_based
    if kind is None:
        return None
    if kind not in ("linear", "constant"):
        reporter.warn("lr_config.warmup", f"warmup {kind!r} has no vidcore equivalent; no warmup is used")
        return None
    scheduler: dict[str, Any] = (
        {"type": "LinearLR", "start_factor": ratio, "end_factor": 1.0} if kind == "linear"
        else {"type": "ConstantLR", "factor": ratio})
    scheduler.update({"by_epoch": bool(warmup_by_epoch), "begin": 0, "end": iters})
    if warmup_by_epoch:
        scheduler["convert_to_iter_based"] = True  # mmcv updates the warmup every iteration
    return scheduler


def _main_schedule(policy: Any, settings: dict[str, Any], by_epoch: bool, end: Any,
                   reporter: Reporter) -> dict[str, Any] | None:
    span = {"by_epoch": by_epoch, "begin": 0}
    if end is not None:
        span["end"] = end
    min_lr, min_lr_ratio = settings.pop("min_lr", None), settings.pop("min_lr_ratio", None)
    if policy is None or policy in ("fixed", "Fixed"):
        return None
    if policy in ("step", "Step"):
        step, gamma = settings.pop("step", None), settings.pop("gamma", 0.1)
        if min_lr:
            reporter.warn("lr_config.min_lr", "the step policy's lower bound has no vidcore equivalent; dropped")
        if isinstance(step, int):
            return {"type": "StepLR", "step_size": step, "gamma": gamma, **span}
        return {"type": "MultiStepLR", "milestones": list(step or []), "gamma": gamma, **span}
    if policy in ("CosineAnnealing", "cosine"):
        scheduler = {"type": "CosineAnnealingLR", "T_max": end, **span}
        return _with_minimum(scheduler, min_lr, min_lr_ratio)
    if policy == "CosineRestart":
        scheduler = {"type": "CosineRestartLR", "periods": list(settings.pop("periods", [])),
                     "restart_weights": list(settings.pop("restart_weights", [1])), **span}
        return _with_minimum(scheduler, min_lr, min_lr_ratio)
    if policy in ("poly", "Poly"):
        scheduler = {"type": "PolyLR", "power": settings.pop("power", 1.0), "eta_min": min_lr or 0.0, **span}
        return scheduler
    if policy in ("exp", "Exp"):
        return {"type": "ExponentialLR", "gamma": settings.pop("gamma"), **span}
    reporter.warn("lr_config.policy", f"lr policy {policy!r} has no vidcore equivalent; "
                  "the learning rate stays constant")
    settings.clear()
    return None


def _with_minimum(scheduler: dict[str, Any], min_lr: Any, min_lr_ratio: Any) -> dict[str, Any]:
    if min_lr_ratio is not None:
        scheduler["eta_min_ratio"] = min_lr_ratio
    else:
        scheduler["eta_min"] = min_lr or 0.0
    return scheduler
