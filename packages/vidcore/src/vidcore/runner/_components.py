"""Build the runner's components from the config sections: model, hooks, loops, evaluator, optimizer,
schedulers, visualizer. Each function reads `runner.cfg` and builds through `runner.build_component`,
so every error names the config file and key path."""

from __future__ import annotations

import inspect
import math
from typing import TYPE_CHECKING, Any, Mapping

from torch import nn

from .._keypath import KeyPart, format_key_path
from ..config._schema import DEFAULT_HOOK_TYPES, optim_constructor_config, train_loop_type
from ..config._values import scheduler_unit_error
from ..dist import unwrap_model
from ..errors import ConfigError
from ..evaluation import Evaluator
from ..hooks import Hook
from ..visualization import LocalVisBackend, Visualizer
from ._compile import compile_model
from ._dataloader import build_dataloader
from ._injection import accepted_arguments

if TYPE_CHECKING:
    from ._runner import Runner

_MODEL_WRAPPER_KEYS = ("type", "find_unused_parameters", "broadcast_buffers", "gradient_as_bucket_view",
                       "static_graph")


def build_model(runner: Runner) -> nn.Module:
    """The model on the runner's device, compiled when `compile` asks (in place: the same module), wrapped in
    DistributedDataParallel under torchrun."""
    model_cfg = runner.cfg.get("model")
    if model_cfg is None:
        raise ConfigError(f"{runner.filename or '<config>'}: model: missing")
    model = model_cfg if isinstance(model_cfg, nn.Module) else runner.build_component(model_cfg, "models", ("model",))
    if not isinstance(model, nn.Module):
        raise ConfigError(f"{runner.where('model')}: built a {type(model).__name__}, not a torch.nn.Module")
    model = compile_model(runner, model.to(runner.device))
    if not runner.distributed:
        return model
    wrapper_cfg = dict(runner.cfg.get("model_wrapper_cfg") or {})
    unknown = sorted(set(wrapper_cfg) - set(_MODEL_WRAPPER_KEYS))
    if unknown:
        raise ConfigError(f"{runner.where('model_wrapper_cfg', unknown[0])}: unknown key "
                          f"(accepted: {', '.join(_MODEL_WRAPPER_KEYS[1:])})")
    wrapper_cfg.pop("type", None)
    device_ids = [runner.device.index] if runner.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=device_ids, **wrapper_cfg)


def register_configured_hooks(runner: Runner) -> None:
    """`default_hooks` (the six defaults unless null; a typeless entry keeps its default type), then
    `custom_hooks`, each with its optional `priority`."""
    configured = runner.cfg.get("default_hooks") or {}
    if not isinstance(configured, Mapping):
        raise ConfigError(f"{runner.where('default_hooks')}: expected a mapping of name -> hook config or null")
    for name, default_type in DEFAULT_HOOK_TYPES.items():
        if name in configured and configured[name] is None:
            continue
        hook_cfg = dict(configured.get(name) or {})
        hook_cfg.setdefault("type", default_type)
        _register_hook_cfg(runner, hook_cfg, ("default_hooks", name))
    for name, hook_cfg in configured.items():
        if name in DEFAULT_HOOK_TYPES or hook_cfg is None:
            continue
        if not isinstance(hook_cfg, Mapping) or "type" not in hook_cfg:
            raise ConfigError(f"{runner.where('default_hooks', name)}: not a default hook name "
                              f"({', '.join(DEFAULT_HOOK_TYPES)}); give it a 'type'")
        _register_hook_cfg(runner, dict(hook_cfg), ("default_hooks", name))
    custom = runner.cfg.get("custom_hooks") or []
    if not isinstance(custom, list):
        raise ConfigError(f"{runner.where('custom_hooks')}: expected a list of hook configs")
    for index, hook_cfg in enumerate(custom):
        if not isinstance(hook_cfg, Mapping):
            raise ConfigError(f"{runner.where('custom_hooks', index)}: expected a hook config with a 'type'")
        _register_hook_cfg(runner, dict(hook_cfg), ("custom_hooks", index))


def _register_hook_cfg(runner: Runner, hook_cfg: dict[str, Any], key_path: tuple[KeyPart, ...]) -> None:
    priority = hook_cfg.pop("priority", None)
    hook = runner.build_component(hook_cfg, "hooks", key_path)
    if not isinstance(hook, Hook):
        raise ConfigError(f"{runner.where(*key_path)}: {type(hook).__name__} is not a vidcore.hooks.Hook")
    try:
        runner.register_hook(hook, priority)
    except ConfigError as exc:
        raise ConfigError(f"{runner.where(*key_path, 'priority')}: {exc}") from None


def build_split_dataloader(runner: Runner, split: str) -> Any:
    """`<split>_dataloader`, also kept as `runner.<split>_dataloader`."""
    loader = build_dataloader(runner.cfg[f"{split}_dataloader"], split, runner.registry, runner.seed,
                              runner.locate, runner.rank)
    setattr(runner, f"{split}_dataloader", loader)
    return loader


def build_train_loop(runner: Runner) -> Any:
    loop_cfg = runner.cfg["train_cfg"]
    if not isinstance(loop_cfg, Mapping):
        raise ConfigError(f"{runner.where('train_cfg')}: expected a mapping with type and max_epochs or max_iters")
    loop_cfg = dict(loop_cfg)
    inferred = train_loop_type(loop_cfg)
    loop_cfg.pop("by_epoch", None)
    if "type" not in loop_cfg:
        if inferred is None:
            raise ConfigError(f"{runner.where('train_cfg')}: set type (EpochBasedTrainLoop or IterBasedTrainLoop), "
                              "or max_epochs / max_iters")
        loop_cfg["type"] = inferred
    loader = build_split_dataloader(runner, "train")
    return runner.build_component(loop_cfg, "loops", ("train_cfg",), runner=runner, dataloader=loader)


def build_eval_loop(runner: Runner, split: str, extra_metric: Any = None) -> Any:
    """A ValLoop/TestLoop with its dataloader and the evaluator of `<split>_evaluator` (+ `extra_metric`)."""
    loader = build_split_dataloader(runner, split)
    key = f"{split}_evaluator"
    configured = runner.cfg[key]
    items = configured if isinstance(configured, list) else [configured]
    paths = [(key, index) if isinstance(configured, list) else (key,) for index in range(len(items))]
    metrics = [runner.build_component(metric_cfg, "metrics", path, **_work_dir_for(runner, metric_cfg, path))
               for metric_cfg, path in zip(items, paths)]
    if extra_metric is not None:
        metrics.append(extra_metric)
    loop_cfg = dict(runner.cfg.get(f"{split}_cfg") or {})
    loop_cfg.setdefault("type", "ValLoop" if split == "val" else "TestLoop")
    return runner.build_component(loop_cfg, "loops", (f"{split}_cfg",), runner=runner, dataloader=loader,
                                  evaluator=Evaluator(metrics))


def _work_dir_for(runner: Runner, metric_cfg: Any, key_path: tuple[KeyPart, ...]) -> dict[str, Any]:
    """`{"work_dir": ...}` for a metric whose constructor names `work_dir` (where it writes files), else {}."""
    if not isinstance(metric_cfg, Mapping):
        return {}
    return accepted_arguments(runner.registry, metric_cfg, "metrics", key_path, {"work_dir": runner.work_dir},
                              named_only=True)


def build_optim_wrapper(runner: Runner) -> Any:
    """mmengine's way: the constructor named by `optim_wrapper.constructor` builds optimizer and wrapper."""
    constructor_cfg = optim_constructor_config(runner.cfg["optim_wrapper"])
    if constructor_cfg is None:
        raise ConfigError(f"{runner.where('optim_wrapper')}: expected a mapping with an 'optimizer'")
    constructor = runner.build_component(constructor_cfg, "optim_constructors", ("optim_wrapper",))
    model = unwrap_model(runner.model)
    if "registry" in inspect.signature(constructor.__call__).parameters:
        return constructor(model, registry=runner.registry, key_path=("optim_wrapper",), locate=runner.locate)
    return constructor(model)


def build_param_schedulers(runner: Runner) -> list[Any]:
    """`param_scheduler` (one or a list); in an iteration-based loop they count iterations by default."""
    configured = runner.cfg.get("param_scheduler") or []
    items = configured if isinstance(configured, list) else [configured]
    loop = runner.train_loop
    schedulers = []
    for index, scheduler_cfg in enumerate(items):
        path: tuple[KeyPart, ...] = ("param_scheduler", index) if isinstance(configured, list) else ("param_scheduler",)
        if not isinstance(scheduler_cfg, Mapping):
            raise ConfigError(f"{runner.where(*path)}: expected a scheduler config with a 'type'")
        scheduler_cfg = dict(scheduler_cfg)
        unit_error = scheduler_unit_error(scheduler_cfg, loop.by_epoch)
        if unit_error:
            raise ConfigError(f"{runner.where(*path, 'by_epoch')}: {unit_error}")
        if not loop.by_epoch:
            scheduler_cfg.setdefault("by_epoch", False)
        _fit_to_training_length(runner, scheduler_cfg, path, loop)
        schedulers.append(runner.build_component(scheduler_cfg, "param_schedulers", path,
                                                 optimizer=runner.optim_wrapper,
                                                 epoch_length=loop.epoch_length or None))
    return schedulers


def _training_length(scheduler_cfg: Mapping[str, Any], loop: Any) -> tuple[int | None, str]:
    """How long training is in the scheduler's unit (epochs or iterations); None when it has no epochs."""
    if not scheduler_cfg.get("by_epoch", True):
        return loop.max_iters, "iterations"
    if loop.by_epoch:
        return loop.max_epochs, "epochs"
    if loop.epoch_length:
        return math.ceil(loop.max_iters / loop.epoch_length), "epochs"
    return None, "epochs"


def _fit_to_training_length(runner: Runner, scheduler_cfg: dict[str, Any], path: tuple[KeyPart, ...],
                            loop: Any) -> None:
    """Clip `end` to the training length (as mmengine does), so that a shortened run (`max_epochs=1`) keeps the
    recipe's schedule; a scheduler that begins at or after the end of training does not act in this run."""
    begin, end = scheduler_cfg.get("begin", 0), scheduler_cfg.get("end")
    if not all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in (begin, end)):
        return
    length, unit = _training_length(scheduler_cfg, loop)
    if length is None:
        return
    name = f"{format_key_path(path)} ({scheduler_cfg.get('type')})"
    training = f"{length} {unit if length != 1 else unit[:-1]}"
    if begin >= length:
        scheduler_cfg["end"] = begin + 1  # a window this run never reaches
        runner.logger.info(f"{name} begins at {unit[:-1]} {begin}, when training has ended (after {training}): "
                           "it does not act in this run")
    elif end > length:
        scheduler_cfg["end"] = length
        runner.logger.info(f"{name}: end {end} clipped to the training length, {training}")


def build_visualizer(runner: Runner, save_dir: str) -> Visualizer:
    """`visualizer` (kind `visualizers`, default `Visualizer`) with the backends of `visualizer.vis_backends`, each
    given `save_dir`; a LocalVisBackend (the JSON-lines log) is always one. mmengine's instance `name` is ignored."""
    cfg = dict(runner.cfg.get("visualizer") or {})
    cfg.setdefault("type", "Visualizer")
    cfg.pop("name", None)
    backends_cfg = cfg.pop("vis_backends", None) or []
    if isinstance(backends_cfg, Mapping):
        backends_cfg = [backends_cfg]
    backends: list[Any] = []
    try:
        for index, backend in enumerate(backends_cfg):
            backends.append(runner.build_component(dict(backend), "vis_backends",
                                                   ("visualizer", "vis_backends", index), save_dir=save_dir))
        if not any(isinstance(backend, LocalVisBackend) for backend in backends):
            backends.insert(0, LocalVisBackend(save_dir))
        visualizer = runner.build_component(cfg, "visualizers", ("visualizer",), vis_backends=backends,
                                            save_dir=save_dir)
    except BaseException:
        for built in backends:  # the backends built so far must not stay open
            try:
                built.close()
            except Exception:  # noqa: S110 - the build error is the one to report
                pass
        raise
    if not isinstance(visualizer, Visualizer):
        raise ConfigError(f"{runner.where('visualizer', 'type')}: {type(visualizer).__name__} is not a "
                          "vidcore.visualization.Visualizer")
    return visualizer
