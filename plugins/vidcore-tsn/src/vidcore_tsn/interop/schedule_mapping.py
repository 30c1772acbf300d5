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
        reporter.warn("optimizer", f"expected a dict, got {type(optimizer).__name__}; dropped", dropped=True)
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
            reporter.warn("optimizer_config.type", f"optimizer hook {hook_type} has no vidcore equivalent; ignored",
                          dropped=True)
        settings.pop("distributed", None)
        for key in settings:
            reporter.warn(f"optimizer_config.{key}", "no optim_wrapper equivalent; dropped", dropped=True)
    elif optimizer_config is not None:
        reporter.warn("optimizer_config", f"expected a dict, got {type(optimizer_config).__name__}; dropped",
                      dropped=True)
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
    """mmcv `lr_config` (policy + warmup) -> a `param_scheduler` list with the same learning rate per iteration."""
    if lr_config is None:
        return []
    if not isinstance(lr_config, dict):
        reporter.warn("lr_config", f"expected a dict, got {type(lr_config).__name__}; dropped", dropped=True)
        return []
    settings = dict(lr_config)
    policy = settings.pop("policy", None)
    if isinstance(policy, str) and policy:
        policy = policy[0].upper() + policy[1:]  # mmcv's own normalization: 'step' -> StepLrUpdaterHook
    by_epoch = settings.pop("by_epoch", True)
    iter_based = train_cfg.get("type") == "IterBasedTrainLoop"
    schedulers: list[dict[str, Any]] = []
    warmup = _warmup(settings, iter_based, reporter)
    if warmup:
        schedulers.append(warmup)
    main = _main_schedule(policy, settings, _Span(train_cfg, bool(by_epoch), iter_based), reporter)
    if main:
        schedulers.append(main)
    for key in settings:
        reporter.warn(f"lr_config.{key}", f"not supported for policy {policy!r}; dropped", dropped=True)
    return schedulers


class _Span:
    """Where a main schedule acts, in the unit mmcv counted it in.

    mmcv's policies count epochs (`by_epoch=True`) or iterations; those whose shape depends on the length of
    training (cosine, poly) span the whole run. The number of iterations per epoch is unknown before the
    run, so an iteration-based schedule of an epoch-based run that spans the whole run is written in epochs
    with `convert_to_iter_based` (the runner multiplies by the epoch length and updates every iteration);
    one that only counts iterations (step milestones, exp, restart periods) keeps mmcv's iteration numbers.
    """

    def __init__(self, train_cfg: dict[str, Any], by_epoch: bool, iter_based: bool) -> None:
        self.iter_based = iter_based
        self.by_epoch = by_epoch and not iter_based
        self.length = train_cfg.get("max_iters") if iter_based else train_cfg.get("max_epochs")

    def counted(self) -> dict[str, Any]:
        """The span of a schedule whose arguments are step counts (milestones, periods, gamma per step)."""
        span: dict[str, Any] = {"by_epoch": self.by_epoch, "begin": 0}
        if (self.by_epoch or self.iter_based) and self.length is not None:
            span["end"] = self.length
        return span

    def whole_run(self, policy: str, reporter: Reporter) -> tuple[dict[str, Any], Any]:
        """The span of a schedule over the whole run, and its length in the span's unit."""
        if self.length is None:
            reporter.warn("lr_config.policy", f"policy {policy!r} spans the whole run, whose length is not set "
                          "(no total_epochs or runner); set T_max/end to the number of epochs")
        if self.by_epoch or self.iter_based:
            span = {"by_epoch": self.by_epoch, "begin": 0}
        else:
            reporter.note("lr_config.by_epoch", f"{policy} per iteration over the whole run -> by_epoch: true with "
                          "convert_to_iter_based: true (updated every iteration, length = epochs x epoch length)")
            span = {"by_epoch": True, "convert_to_iter_based": True, "begin": 0}
        if self.length is not None:
            span["end"] = self.length
        return span, self.length


_WARMUPS = {"linear": "LinearLR", "exp": "ExponentialWarmupLR", "constant": "ConstantLR"}
# mmcv's OneCycle arguments that vidcore's OneCycleLR takes under the same name (max_lr is its eta_max).
_ONE_CYCLE_ARGS = ("total_steps", "pct_start", "anneal_strategy", "div_factor", "final_div_factor", "three_phase")


def _warmup(settings: dict[str, Any], iter_based: bool, reporter: Reporter) -> dict[str, Any] | None:
    kind = settings.pop("warmup", None)
    iters = settings.pop("warmup_iters", 0)
    ratio = settings.pop("warmup_ratio", 0.1)
    warmup_by_epoch = settings.pop("warmup_by_epoch", False) and not iter_based
    if kind is None:
        return None
    if not isinstance(iters, int) or isinstance(iters, bool) or iters < 1:
        reporter.warn("lr_config.warmup_iters", f"warmup_iters={iters!r}: no warmup is used", dropped=True)
        return None
    if kind not in _WARMUPS:
        reporter.warn("lr_config.warmup", f"warmup {kind!r} has no vidcore equivalent; no warmup is used",
                      dropped=True)
        return None
    scheduler: dict[str, Any] = ({"type": "ConstantLR", "factor": ratio} if kind == "constant"
                                 else {"type": _WARMUPS[kind], "start_factor": ratio, "end_factor": 1.0})
    # mmcv warms up while iteration < warmup_iters and reaches the full lr at warmup_iters; LinearLR and
    # ExponentialWarmupLR reach it at their last step (end - 1), so counted in iterations the window ends one
    # step later.
    end = iters + 1 if kind != "constant" and not warmup_by_epoch else iters
    scheduler.update({"by_epoch": bool(warmup_by_epoch), "begin": 0, "end": end})
    if warmup_by_epoch:
        scheduler["convert_to_iter_based"] = True  # mmcv updates the warmup every iteration
    return scheduler


def _main_schedule(policy: Any, settings: dict[str, Any], span: _Span, reporter: Reporter) -> dict[str, Any] | None:
    if policy is None or policy == "Fixed":
        return None
    if policy == "Step":
        step, gamma = settings.pop("step", None), settings.pop("gamma", 0.1)
        min_lr = settings.pop("min_lr", None)
        floor = {} if min_lr is None else {"min_lr": min_lr}  # mmcv's lower bound of the step policy
        if isinstance(step, int):
            return {"type": "StepLR", "step_size": step, "gamma": gamma, **floor, **span.counted()}
        return {"type": "MultiStepLR", "milestones": step or [], "gamma": gamma, **floor, **span.counted()}
    if policy in ("CosineAnnealing", "Cosine"):
        whole, length = span.whole_run("CosineAnnealing", reporter)
        scheduler = {"type": "CosineAnnealingLR", **({} if length is None else {"T_max": length}), **whole}
        return _with_minimum(scheduler, settings)
    if policy == "CosineRestart":
        scheduler = {"type": "CosineRestartLR", "periods": settings.pop("periods", []),
                     "restart_weights": settings.pop("restart_weights", [1]), **span.counted()}
        return _with_minimum(scheduler, settings)
    if policy == "Poly":
        whole, _ = span.whole_run("Poly", reporter)
        return {"type": "PolyLR", "power": settings.pop("power", 1.0), "eta_min": settings.pop("min_lr", None) or 0.0,
                **whole}
    if policy == "Exp":
        if "gamma" not in settings:
            reporter.warn("lr_config.gamma", "the exp policy needs gamma; no schedule is used", dropped=True)
            return None
        return {"type": "ExponentialLR", "gamma": settings.pop("gamma"), **span.counted()}
    if policy == "OneCycle" and "max_lr" in settings:
        return _one_cycle(settings, span)
    reporter.warn("lr_config.policy", f"lr policy {policy!r} has no vidcore equivalent; "
                  "the learning rate stays constant", dropped=True)
    settings.clear()
    return None


def _one_cycle(settings: dict[str, Any], span: _Span) -> dict[str, Any]:
    """mmcv's OneCycle counts iterations over `total_steps` (default: the whole run, in iterations)."""
    scheduler: dict[str, Any] = {"type": "OneCycleLR", "eta_max": settings.pop("max_lr")}
    scheduler.update({key: settings.pop(key) for key in _ONE_CYCLE_ARGS if key in settings})
    if "total_steps" in scheduler or span.iter_based:
        scheduler.update(by_epoch=False, begin=0)
        if span.iter_based and span.length is not None:
            scheduler["end"] = span.length
        return scheduler
    scheduler.update(by_epoch=True, convert_to_iter_based=True, begin=0)  # the window: the run, per iteration
    if span.length is not None:
        scheduler["end"] = span.length
    return scheduler


def _with_minimum(scheduler: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    min_lr, min_lr_ratio = settings.pop("min_lr", None), settings.pop("min_lr_ratio", None)
    if min_lr_ratio is not None:
        scheduler["eta_min_ratio"] = min_lr_ratio
    else:
        scheduler["eta_min"] = min_lr or 0.0
    return scheduler
