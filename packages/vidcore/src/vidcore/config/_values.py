"""Checks of the values the runner itself reads (DataLoader options, optimizer numbers, schedules against the
training length, watched metric names), run by `vidcore config check` and before a run builds anything.

Component arguments are checked by the registry (signatures and the components' own `check_config`); these
are the values no component signature describes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from .._keypath import KeyPart, format_key_path
from ..errors import ConfigError, RegistryError
from ._schema import DEFAULT_HOOK_TYPES, train_loop_type

if TYPE_CHECKING:
    from ..registry import Registry

DATALOADER_KEYS = ("dataset", "sampler", "collate_fn", "batch_size", "num_workers", "persistent_workers",
                   "pin_memory", "drop_last", "prefetch_factor", "timeout")
# torch's BatchSampler allocates a list of batch_size entries per batch: a larger value is a mistake.
MAX_BATCH_SIZE = 2**24
_MOVED_DATALOADER_KEYS = {"shuffle": "sampler.shuffle", "seed": "randomness.seed", "type": "dataset.type"}
# optimizer arguments that are numbers >= 0 in every torch optimizer that takes them
_NON_NEGATIVE_OPTIMIZER_ARGS = ("lr", "momentum", "weight_decay", "dampening", "eps", "lr_decay",
                                "initial_accumulator_value", "alpha", "rho", "lambd", "t0", "momentum_decay")

RANDOMNESS_KEYS = ("seed", "deterministic", "diff_rank_seed")
_LOG_LEVELS = ("CRITICAL", "FATAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NOTSET")
_DIST_BACKENDS = ("auto", "nccl", "gloo")

Locate = Callable[[Sequence[KeyPart]], "str | None"]


def _where(locate: Locate | None, path: Sequence[KeyPart]) -> str:
    source = locate(path) if locate else None
    return f"{source}: {format_key_path(path)}" if source else format_key_path(path)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    return f"{type(value).__name__} {value!r:.60}"


def dataloader_errors(cfg: Any, key: str, locate: Locate | None = None) -> list[ConfigError]:
    """Every problem of `<split>_dataloader`'s own options (its dataset, sampler and collate_fn are components)."""
    from ..registry._hints import close_matches

    if not isinstance(cfg, Mapping):
        return [ConfigError(f"{_where(locate, (key,))}: expected a mapping with dataset, batch_size, ..., "
                            f"got {type(cfg).__name__}")]
    errors: list[ConfigError] = []

    def fail(name: str, expected: str) -> None:
        errors.append(ConfigError(f"{_where(locate, (key, name))}: expected {expected}, got {_shown(cfg[name])}"))

    for name in cfg:
        if name in DATALOADER_KEYS:
            continue
        moved = _MOVED_DATALOADER_KEYS.get(str(name))
        hint = f"; it goes in {moved}" if moved else ""
        suggestions = [] if moved else close_matches(str(name), DATALOADER_KEYS, limit=1)
        hint += f"; did you mean '{suggestions[0]}'?" if suggestions else ""
        errors.append(ConfigError(f"{_where(locate, (key, name))}: unknown DataLoader key{hint} "
                                  f"(accepted: {', '.join(DATALOADER_KEYS)})"))
    if cfg.get("dataset") is None:
        errors.append(ConfigError(f"{_where(locate, (key,))}: 'dataset' is missing"))
    if "batch_size" in cfg and not (_is_int(cfg["batch_size"]) and 1 <= cfg["batch_size"] <= MAX_BATCH_SIZE):
        fail("batch_size", f"a positive integer (at most {MAX_BATCH_SIZE})")
    if "num_workers" in cfg and not (_is_int(cfg["num_workers"]) and cfg["num_workers"] >= 0):
        fail("num_workers", "an integer >= 0")
    for name in ("persistent_workers", "drop_last"):
        if name in cfg and not isinstance(cfg[name], bool):
            fail(name, "true or false")
    if cfg.get("pin_memory") is not None and not isinstance(cfg["pin_memory"], bool):
        fail("pin_memory", "true, false or null (pinned when CUDA is available)")
    if cfg.get("prefetch_factor") is not None and not (_is_int(cfg["prefetch_factor"]) and cfg["prefetch_factor"] >= 1):
        fail("prefetch_factor", "a positive integer or null")
    if "timeout" in cfg and not (_is_number(cfg["timeout"]) and cfg["timeout"] >= 0):
        fail("timeout", "a number of seconds >= 0")
    if "sampler" in cfg and cfg["sampler"] is not None and not isinstance(cfg["sampler"], Mapping):
        fail("sampler", "a sampler config such as {type: DefaultSampler, shuffle: true}")
    return errors


def optimizer_errors(optimizer_cfg: Any, path: tuple[KeyPart, ...], locate: Locate | None = None) -> list[ConfigError]:
    """The optimizer's numeric hyper-parameters: `lr`, `momentum`, `weight_decay`, ... are finite and >= 0, and
    `betas` two numbers in [0, 1). Their types are checked against the optimizer's signature."""
    if not isinstance(optimizer_cfg, Mapping):
        return []
    errors = []
    for name in _NON_NEGATIVE_OPTIMIZER_ARGS:  # a value of another type is the optimizer signature's to report
        value = optimizer_cfg.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not (_is_number(value) and value >= 0):
            errors.append(ConfigError(f"{_where(locate, path + (name,))}: expected a number >= 0, got {_shown(value)}"))
    betas = optimizer_cfg.get("betas")
    if "betas" in optimizer_cfg and not (isinstance(betas, (list, tuple)) and len(betas) == 2
                                         and all(_is_number(beta) and 0 <= beta < 1 for beta in betas)):
        errors.append(ConfigError(f"{_where(locate, path + ('betas',))}: expected two numbers in [0, 1), "
                                  f"got {_shown(betas)}"))
    return errors


def scheduler_unit_error(scheduler_cfg: Mapping[str, Any], loop_by_epoch: bool) -> str | None:
    """Why a scheduler cannot count epochs in this loop (an iteration-based loop has none), else None."""
    if (not loop_by_epoch and scheduler_cfg.get("by_epoch", False) is True
            and not scheduler_cfg.get("convert_to_iter_based")):
        return ("the train loop is iteration-based and has no epochs; set by_epoch: false, "
                "or convert_to_iter_based: true")
    return None


def _train_loop(cfg: Mapping[str, Any]) -> tuple[bool, int | None] | None:
    """(by_epoch, length in epochs or iterations) of `train_cfg`, or None when it says neither."""
    train_cfg = cfg.get("train_cfg")
    if not isinstance(train_cfg, Mapping):
        return None
    loop_type = train_cfg.get("type") or train_loop_type(train_cfg)
    if loop_type not in ("EpochBasedTrainLoop", "IterBasedTrainLoop"):
        return None
    by_epoch = loop_type == "EpochBasedTrainLoop"
    length = train_cfg.get("max_epochs" if by_epoch else "max_iters")
    return by_epoch, length if _is_int(length) and length > 0 else None


def schedule_problems(cfg: Mapping[str, Any], locate: Locate | None = None) -> tuple[list[ConfigError], list[str]]:
    """`param_scheduler` windows: `begin`/`end` numbers >= 0 with end > begin, counted in a unit the train loop
    has (errors); a window that ends after training is clipped, one that begins after it never acts (warnings)."""
    configured = cfg.get("param_scheduler")
    if configured is None:
        return [], []
    items = configured if isinstance(configured, list) else [configured]
    loop = _train_loop(cfg)
    errors: list[ConfigError] = []
    warnings: list[str] = []
    for index, scheduler in enumerate(items):
        path: tuple[KeyPart, ...] = ("param_scheduler", index) if isinstance(configured, list) else ("param_scheduler",)
        if not isinstance(scheduler, Mapping):
            errors.append(ConfigError(f"{_where(locate, path)}: expected a scheduler config with a 'type'"))
            continue
        kind = scheduler.get("type")
        begin, end = scheduler.get("begin", 0), scheduler.get("end")
        bad = [key for key, value in (("begin", begin), ("end", end))
               if value is not None and not (_is_number(value) and value >= 0)]
        for key in bad:
            errors.append(ConfigError(f"{_where(locate, path + (key,))}: expected a number >= 0, "
                                      f"got {_shown(scheduler[key])}"))
        if bad:
            continue
        loop_by_epoch, length = loop if loop is not None else (True, None)
        unit_error = scheduler_unit_error(scheduler, loop_by_epoch)
        if unit_error:
            errors.append(ConfigError(f"{_where(locate, path + ('by_epoch',))}: {unit_error}"))
            continue
        counts_epochs = scheduler.get("by_epoch", loop_by_epoch) is not False
        if counts_epochs != loop_by_epoch:
            length = None  # the length in the scheduler's unit depends on the dataset
        unit = ("epoch" if counts_epochs else "iteration") + ("s" if length != 1 else "")
        if length is not None and begin >= length:  # a shortened run (max_epochs=1) keeps the recipe's schedule
            warnings.append(f"{_where(locate, path + ('begin',))} ({kind}): begins at {begin}, when training has "
                            f"ended (after {length} {unit}); it will not act")
        elif end is not None and end <= begin:
            errors.append(ConfigError(f"{_where(locate, path)} ({kind}): end must be larger than begin, "
                                      f"got begin={begin}, end={end}"))
        elif length is not None and end is not None and end > length:
            warnings.append(f"{_where(locate, path + ('end',))} ({kind}): end {end} is after the end of training "
                            f"({length} {unit}); it is clipped there")
    return errors, warnings


def _component_class(registry: Registry, cfg: Any, kind: str) -> Any:
    name = cfg.get("type") if isinstance(cfg, Mapping) else None
    if isinstance(name, type):
        return name
    if not isinstance(name, str):
        return None
    try:
        return registry.lookup(kind, name).load()
    except RegistryError:  # reported where the component itself is validated
        return None


def _metric_keys(cfg: Mapping[str, Any], registry: Registry) -> list[str] | None:
    """The keys validation will report (`prefix/name`), from the metrics' `metric_names`; None when a metric
    cannot say before the run."""
    configured = cfg.get("val_evaluator")
    items = configured if isinstance(configured, list) else [configured]
    keys: list[str] = []
    for metric_cfg in items:
        metric = _component_class(registry, metric_cfg, "metrics")
        names_of = getattr(metric, "metric_names", None)
        if not callable(names_of):
            return None
        args = {key: value for key, value in metric_cfg.items() if key != "type"}
        try:
            names = names_of(args)
        except (ConfigError, TypeError, ValueError):  # the metric's own check reports bad arguments
            return None
        if names is None:
            return None
        prefix = args.get("prefix") or getattr(metric, "default_prefix", None)
        keys += [f"{prefix}/{name}" if prefix else str(name) for name in names]
    return keys


def _watchers(cfg: Mapping[str, Any], registry: Registry) -> list[tuple[tuple[KeyPart, ...], str, Mapping]]:
    """(key path, argument, hook config) of each configured hook that watches a validation metric: a hook class
    names that argument in `watched_metric_argument` (CheckpointHook's `save_best`, EarlyStoppingHook's
    `monitor`)."""
    hooks: list[tuple[tuple[KeyPart, ...], Mapping]] = []
    default_hooks = cfg.get("default_hooks")
    if isinstance(default_hooks, Mapping):
        for name, hook_cfg in default_hooks.items():
            if isinstance(hook_cfg, Mapping):
                hooks.append((("default_hooks", name), {"type": DEFAULT_HOOK_TYPES.get(str(name)), **hook_cfg}))
    custom_hooks = cfg.get("custom_hooks")
    if isinstance(custom_hooks, list):
        hooks += [(("custom_hooks", index), hook_cfg) for index, hook_cfg in enumerate(custom_hooks)
                  if isinstance(hook_cfg, Mapping)]
    watchers = []
    for path, hook_cfg in hooks:
        argument = getattr(_component_class(registry, hook_cfg, "hooks"), "watched_metric_argument", None)
        if isinstance(argument, str) and hook_cfg.get(argument):
            watchers.append((path, argument, hook_cfg))
    return watchers


def watched_metric_errors(cfg: Mapping[str, Any], registry: Registry,
                          locate: Locate | None = None) -> tuple[list[ConfigError], list[str]]:
    """`save_best` and `monitor` name a metric that validation reports, when the metrics say which they report
    (whether it is better greater or less is the hooks' own `check_config`)."""
    watchers = _watchers(cfg, registry)
    if not watchers:
        return [], []
    validating = bool(cfg.get("val_dataloader") and cfg.get("val_evaluator")) and cfg.get("val_cfg", {}) is not None
    keys = _metric_keys(cfg, registry) if validating else None
    errors: list[ConfigError] = []
    warnings: list[str] = []
    for path, argument, hook_cfg in watchers:
        where = _where(locate, path + (argument,))
        wanted = hook_cfg[argument]
        if not isinstance(wanted, str):
            continue  # the hook's signature check reports it
        if not validating:
            warnings.append(f"{where}: '{wanted}' is watched but no validation is configured")
        elif keys is not None and wanted not in keys and wanted != "auto":
            errors.append(ConfigError(f"{where}: metric '{wanted}' is not among the validation metrics: "
                                      f"{', '.join(keys) or 'none'}"))
    return errors, warnings


def runtime_errors(cfg: Mapping[str, Any], locate: Locate | None = None) -> list[ConfigError]:
    """`randomness`, `env_cfg`, `log_level`, `work_dir`, `load_from` and `resume` values."""
    errors: list[ConfigError] = []

    def fail(path: tuple[KeyPart, ...], expected: str, value: Any) -> None:
        errors.append(ConfigError(f"{_where(locate, path)}: expected {expected}, got {_shown(value)}"))

    randomness = cfg.get("randomness")
    if randomness is not None and not isinstance(randomness, Mapping):
        fail(("randomness",), "a mapping with seed, deterministic, diff_rank_seed", randomness)
    elif randomness:
        for key in randomness:
            if key not in RANDOMNESS_KEYS:
                errors.append(ConfigError(f"{_where(locate, ('randomness', key))}: unknown key "
                                          f"(accepted: {', '.join(RANDOMNESS_KEYS)})"))
        if randomness.get("seed") is not None and not _is_int(randomness["seed"]):
            fail(("randomness", "seed"), "an integer or null", randomness["seed"])
        for key in ("deterministic", "diff_rank_seed"):
            if key in randomness and not isinstance(randomness[key], bool):
                fail(("randomness", key), "true or false", randomness[key])
    env_cfg = cfg.get("env_cfg")
    if env_cfg is not None and not isinstance(env_cfg, Mapping):
        fail(("env_cfg",), "a mapping with cudnn_benchmark, torch_threads, dist_cfg", env_cfg)
    elif env_cfg:
        if "cudnn_benchmark" in env_cfg and not isinstance(env_cfg["cudnn_benchmark"], bool):
            fail(("env_cfg", "cudnn_benchmark"), "true or false", env_cfg["cudnn_benchmark"])
        threads = env_cfg.get("torch_threads", "auto")
        if not (threads is None or threads == "auto" or _is_int(threads) and threads > 0):
            errors.append(ConfigError(f"{_where(locate, ('env_cfg', 'torch_threads'))}: expected 'auto', a positive "
                                      f"integer or null, got {threads!r}"))
        dist_cfg = env_cfg.get("dist_cfg")
        if dist_cfg is not None and not isinstance(dist_cfg, Mapping):
            fail(("env_cfg", "dist_cfg"), "a mapping with backend and timeout", dist_cfg)
        elif dist_cfg:
            if dist_cfg.get("backend") is not None and dist_cfg["backend"] not in _DIST_BACKENDS:
                fail(("env_cfg", "dist_cfg", "backend"), "auto, nccl or gloo", dist_cfg["backend"])
            if "timeout" in dist_cfg and not (_is_number(dist_cfg["timeout"]) and dist_cfg["timeout"] > 0):
                fail(("env_cfg", "dist_cfg", "timeout"), "a positive number of seconds", dist_cfg["timeout"])
    level = cfg.get("log_level", "INFO")
    if not (isinstance(level, str) and level.upper() in _LOG_LEVELS or _is_int(level) and level >= 0):
        fail(("log_level",), "a logging level (DEBUG, INFO, WARNING, ERROR, CRITICAL)", level)
    for key, expected in (("work_dir", "a directory path"), ("load_from", "a checkpoint path or null")):
        if cfg.get(key) is not None and not isinstance(cfg[key], str):
            fail((key,), expected, cfg[key])
    if cfg.get("resume") is not None and not isinstance(cfg["resume"], (bool, str)):
        fail(("resume",), "true, false or a checkpoint path", cfg["resume"])
    return errors


def value_errors(cfg: Mapping[str, Any], registry: Registry,
                 locate: Locate | None = None) -> tuple[list[ConfigError], list[str]]:
    """Every problem (and warning) of the values above, for the whole config."""
    errors: list[ConfigError] = []
    warnings: list[str] = []
    for split in ("train", "val", "test"):
        key = f"{split}_dataloader"
        if cfg.get(key) is not None and not _is_object(cfg[key]):
            errors += dataloader_errors(cfg[key], key, locate)
    wrapper = cfg.get("optim_wrapper")
    if isinstance(wrapper, Mapping):
        errors += optimizer_errors(wrapper.get("optimizer"), ("optim_wrapper", "optimizer"), locate)
    errors += runtime_errors(cfg, locate)
    for found_errors, found_warnings in (schedule_problems(cfg, locate), watched_metric_errors(cfg, registry, locate)):
        errors += found_errors
        warnings += found_warnings
    return errors, warnings


def _is_object(value: Any) -> bool:
    """A built object given in place of a config (a DataLoader passed to the Runner in Python)."""
    return not isinstance(value, (Mapping, list, str, int, float, bool))
