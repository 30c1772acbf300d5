"""Map a loaded mmaction2 config (0.x or 1.x keys) onto vidcore's config keys.

Each mmaction2 key is consumed by one mapping; whatever is left at the end is reported, so nothing is
dropped silently. Helper variables that other keys used (`img_norm_cfg`, `train_pipeline`, ...) are
inlined where they were used and listed as notes.
"""

from __future__ import annotations

import copy
from typing import Any

from .data_mapping import DataMapping, build_data_preprocessor, map_data, map_dataloader
from .diagnostics import Reporter
from .model_mapping import map_model
from .schedule_mapping import map_lr_config, map_optimizer, map_runner

__all__ = ["map_config", "drop_empty", "OUTPUT_ORDER"]

OUTPUT_ORDER = (
    "model", "train_dataloader", "val_dataloader", "test_dataloader", "val_evaluator", "test_evaluator",
    "optim_wrapper", "param_scheduler", "train_cfg", "val_cfg", "test_cfg", "default_hooks", "custom_hooks",
    "visualizer", "env_cfg", "randomness", "auto_scale_lr", "work_dir", "load_from", "resume", "custom_imports",
)
# 1.x keys that vidcore reads with the same meaning.
_PASS_THROUGH = ("val_evaluator", "test_evaluator", "optim_wrapper", "param_scheduler", "train_cfg", "val_cfg",
                 "test_cfg", "custom_hooks", "env_cfg", "randomness", "auto_scale_lr", "work_dir", "load_from",
                 "resume")
# Keys with no vidcore counterpart because vidcore decides them itself, and why.
_NOT_NEEDED = {
    "default_scope": "vidcore has one registry namespace per kind, no scopes",
    "launcher": "vidcore detects torchrun's environment",
    "dist_params": "vidcore uses nccl on GPUs and gloo on CPUs",
    "gpu_ids": "devices come from torchrun / CUDA_VISIBLE_DEVICES",
    "log_level": "vidcore logs at INFO",
}
# mmaction2 settings with no vidcore counterpart that change training, and what the run does instead.
_NO_EQUIVALENT = {
    "multigrid": "multigrid training (SlowFast's varying clip shapes and batch sizes) has no vidcore equivalent; "
                 "dropped: every iteration uses the pipeline's clip shape",
    "precise_bn": "PreciseBN (recomputing BN statistics before validation) has no vidcore equivalent; dropped: "
                  "validation uses the running statistics",
    "omnisource": "OmniSource multi-source training has no vidcore equivalent; dropped",
    "module_hooks": "module hooks (GPU normalization and the like) have no vidcore equivalent; dropped",
}
_METRIC_NAMES = {  # 0.x evaluation metric names in save_best -> mmaction2 1.x / vidcore AccMetric keys
    "top1_acc": "acc/top1", "top5_acc": "acc/top5", "mean_class_accuracy": "acc/mean1",
    "mean_average_precision": "acc/mean_average_precision",
}
_ORIGIN_ALIASES = (
    ("data", "train_dataloader"), ("data", "val_dataloader"), ("data", "test_dataloader"),
    ("optimizer", "optim_wrapper"), ("lr_config", "param_scheduler"), ("total_epochs", "train_cfg"),
    ("runner", "train_cfg"), ("evaluation", "val_evaluator"), ("evaluation", "test_evaluator"),
    ("evaluation", "val_cfg"), ("checkpoint_config", "default_hooks"), ("log_config", "visualizer"),
)
# Keys that only a loop config (mmengine's train_cfg/val_cfg/test_cfg) has, never 0.x's model settings.
_LOOP_KEYS = ("type", "max_epochs", "max_iters", "val_begin", "val_interval", "by_epoch", "dynamic_intervals",
              "fp16")
_LOGGER_BACKENDS = {"TensorboardLoggerHook": "TensorboardVisBackend", "WandbLoggerHook": "WandbVisBackend"}


def map_config(source: dict[str, Any], referenced: set[str], reporter: Reporter) -> dict[str, Any]:
    """The vidcore config for an mmaction2 config's merged data (not modified)."""
    src = copy.deepcopy(source)
    for old, new in _ORIGIN_ALIASES:  # warnings about a new key point at the mmaction2 key it came from
        if old in reporter.origins:
            reporter.origins.setdefault(new, reporter.origins[old])
    out: dict[str, Any] = {}
    data_state = DataMapping()

    _move_model_settings(src, reporter)
    blending = None
    if "model" in src:
        out["model"], blending = map_model(src.pop("model"), reporter)
    if "data" in src:
        out.update(map_data(src.pop("data"), reporter, data_state))
    for split in ("train", "val", "test"):
        key = f"{split}_dataloader"
        if key in src:
            out[key] = map_dataloader(src.pop(key), key, reporter, data_state)
    _add_data_preprocessor(out, data_state, src.pop("img_norm_cfg", None), blending, reporter)

    for key in _PASS_THROUGH:
        if key in src:
            out[key] = src.pop(key)
    _map_resume(src, out, reporter)
    _map_schedule(src, out, reporter)
    _map_evaluation(src, out, reporter)
    _map_hooks(src, out, reporter)
    _map_runtime(src, out, reporter)
    _report_leftovers(src, referenced, reporter)
    drop_empty(out)
    return {key: out[key] for key in [*OUTPUT_ORDER, *sorted(set(out) - set(OUTPUT_ORDER))] if key in out}


def _section(out: dict[str, Any], key: str, reporter: Reporter) -> dict[str, Any]:
    """`out[key]` as a dict to add settings to; a value of another type there is replaced, with a warning."""
    value = out.get(key)
    if not isinstance(value, dict):
        if value is not None:
            reporter.warn(key, f"expected a dict, got {value!r}; replaced by the mapped settings", dropped=True)
        value = out[key] = {}
    return value


def _looks_like_loop(value: Any) -> bool:
    return isinstance(value, dict) and (not value or any(key in value for key in _LOOP_KEYS))


def _move_model_settings(src: dict[str, Any], reporter: Reporter) -> None:
    """mmaction2 0.x also read the model's training/testing settings from top-level `train_cfg`/`test_cfg`
    (`test_cfg = dict(average_clips='prob')`); vidcore (as 1.x) has its loops there, so they move into `model`."""
    for key in ("train_cfg", "test_cfg"):
        if key not in src or _looks_like_loop(src[key]):
            continue
        value = src.pop(key)
        if value is None:
            reporter.warn(key, f"{key} = None (mmaction2 0.x: no model {key.split('_')[0]}ing settings); dropped: "
                          "in vidcore this key is the loop's config"
                          + (", built from total_epochs / runner" if key == "train_cfg" else ""), dropped=True)
            continue
        model = src.get("model")
        if not isinstance(model, dict) or not isinstance(value, dict):
            reporter.warn(key, f"{value!r} is neither a loop config nor model settings; dropped", dropped=True)
            continue
        if model.get(key) and model[key] != value:  # mmaction2 0.x refuses both; the model's own are kept
            reporter.warn(key, f"model settings {value!r} differ from model.{key} = {model[key]!r}; the latter is "
                          "kept", dropped=True)
            continue
        model[key] = value
        reporter.note(key, f"mmaction2 0.x model settings -> model.{key}")


def _map_resume(src: dict[str, Any], out: dict[str, Any], reporter: Reporter) -> None:
    """0.x `resume_from = path` and mmengine's `resume = True` + `load_from = path` both resume from that
    checkpoint; vidcore's `resume: true` looks in the work dir, so the path goes into `resume`."""
    resume_from = src.pop("resume_from", None)
    if resume_from:
        out["resume"] = resume_from
        reporter.note("resume_from", f"-> resume: {resume_from} (resumes from that checkpoint)")
    elif out.get("resume") is True and isinstance(out.get("load_from"), str) and out["load_from"]:
        out["resume"] = out["load_from"]
        reporter.note("resume", f"resume = True with load_from = {out['load_from']} (mmengine resumes from "
                      f"load_from) -> resume: {out['load_from']}")


def drop_empty(cfg: dict[str, Any]) -> dict[str, Any]:
    """Remove sections left empty by the mapping (`default_hooks: {}`, `visualizer.vis_backends: []`)."""
    visualizer = cfg.get("visualizer")
    if isinstance(visualizer, dict) and visualizer.get("vis_backends") == []:
        visualizer.pop("vis_backends")
    for key in ("default_hooks", "visualizer", "env_cfg", "randomness"):
        if cfg.get(key) == {}:
            cfg.pop(key)
    return cfg


def _add_data_preprocessor(out: dict[str, Any], state: DataMapping, img_norm_cfg: Any, blending: Any,
                           reporter: Reporter) -> None:
    model = out.get("model")
    if not isinstance(model, dict):
        return
    existing = model.get("data_preprocessor")
    if isinstance(existing, dict):
        if state.normalize is not None:
            reporter.warn(state.normalize_key or "pipeline", "Normalize in a pipeline and model.data_preprocessor "
                          "both normalize; the data preprocessor's settings are kept")
        return
    preprocessor = build_data_preprocessor(state, img_norm_cfg, reporter)
    if preprocessor is None:
        preprocessor = {"type": "ActionDataPreprocessor", "format_shape": state.format_shape or "NCHW"}
        reporter.warn("model.data_preprocessor", "no Normalize or img_norm_cfg found: frames are not normalized "
                      "(add mean/std to model.data_preprocessor)")
    if blending is not None:
        preprocessor["blending"] = blending
    model["data_preprocessor"] = preprocessor


def _map_schedule(src: dict[str, Any], out: dict[str, Any], reporter: Reporter) -> None:
    if any(key in src for key in ("optimizer", "optimizer_config", "fp16")):
        wrapper = map_optimizer(src.pop("optimizer", None), src.pop("optimizer_config", None),
                                src.pop("fp16", None), reporter)
        _section(out, "optim_wrapper", reporter).update(wrapper)
    if "total_epochs" in src or "runner" in src:
        loop = map_runner(src.pop("total_epochs", None), src.pop("runner", None), reporter)
        _section(out, "train_cfg", reporter).update(loop)
    if "lr_config" in src:
        schedulers = map_lr_config(src.pop("lr_config"), out.get("train_cfg", {}), reporter)
        if schedulers:
            out["param_scheduler"] = schedulers
    if "momentum_config" in src:
        reporter.warn("momentum_config", "momentum schedules have no vidcore equivalent; dropped", dropped=True)
        src.pop("momentum_config")


def _map_evaluation(src: dict[str, Any], out: dict[str, Any], reporter: Reporter) -> None:
    evaluation = src.pop("evaluation", None)
    has_val = "val_dataloader" in out
    if evaluation is None:
        if has_val and "val_evaluator" not in out:
            out["val_evaluator"] = {"type": "AccMetric"}
            out.setdefault("val_cfg", {"type": "ValLoop"})
            reporter.note("val_dataloader", "no evaluation settings: validating with AccMetric every epoch")
        _add_test_loop(out)
        return
    if not isinstance(evaluation, dict):
        reporter.warn("evaluation", f"expected a dict, got {type(evaluation).__name__}; dropped", dropped=True)
        return
    evaluation = dict(evaluation)
    metric = {"type": "AccMetric"}
    metrics = evaluation.pop("metrics", None)
    if metrics is not None:
        metric["metric_list"] = list(metrics) if isinstance(metrics, (list, tuple)) else [metrics]
    if "metric_options" in evaluation:
        metric["metric_options"] = evaluation.pop("metric_options")
    if "topk" in evaluation:  # 0.x's deprecated spelling of metric_options.top_k_accuracy.topk
        options = metric.setdefault("metric_options", {})
        if isinstance(options, dict) and isinstance(options.setdefault("top_k_accuracy", {}), dict):
            options["top_k_accuracy"].setdefault("topk", evaluation.pop("topk"))
    _map_validation_schedule(evaluation, _section(out, "train_cfg", reporter), reporter)
    checkpoint = _section(_section(out, "default_hooks", reporter), "checkpoint", reporter)
    checkpoint.setdefault("type", "CheckpointHook")
    save_best = evaluation.pop("save_best", None)
    if save_best is not None:
        known = isinstance(save_best, str) and save_best in _METRIC_NAMES
        checkpoint["save_best"] = _METRIC_NAMES[save_best] if known else save_best
        if not known and save_best != "auto":
            reporter.warn("evaluation.save_best", f"metric {save_best!r} kept as is; check it against AccMetric's keys")
    if "rule" in evaluation:
        checkpoint["rule"] = evaluation.pop("rule")
    for key in evaluation:
        reporter.warn(f"evaluation.{key}", "no vidcore equivalent; dropped", dropped=True)
    if has_val:
        out.setdefault("val_evaluator", metric)
        out.setdefault("val_cfg", {"type": "ValLoop"})
    else:
        reporter.warn("evaluation", "evaluation settings without data.val: no validation is configured")
    if "test_dataloader" in out:
        out.setdefault("test_evaluator", copy.deepcopy(metric))
    _add_test_loop(out)


def _map_validation_schedule(evaluation: dict[str, Any], train_cfg: dict[str, Any], reporter: Reporter) -> None:
    """`evaluation.interval/start/by_epoch` -> `train_cfg.val_interval/val_begin`, counted as the loop counts.

    An epoch-based loop validates after epochs only: validation every N iterations of an epoch-based run
    cannot be expressed, so it validates after every epoch, with a warning (never every N epochs).
    """
    interval, start = evaluation.pop("interval", None), evaluation.pop("start", None)
    by_epoch = evaluation.pop("by_epoch", True)
    iter_loop = train_cfg.get("type") == "IterBasedTrainLoop"
    if not by_epoch and not iter_loop:
        if interval is not None or start is not None:
            reporter.warn("evaluation.by_epoch", f"validation every {interval or 1} iterations"
                          + (f" from iteration {start}" if start is not None else "")
                          + " cannot be expressed in vidcore's epoch-based loop (it validates after epochs); "
                          "validating after every epoch instead — set train_cfg.val_interval, or use "
                          f"IterBasedTrainLoop with max_iters and val_interval: {interval or 1}", dropped=True)
        return
    if interval is not None:
        train_cfg["val_interval"] = interval
    if start is not None:
        train_cfg["val_begin"] = start
        step = interval or 1
        if isinstance(start, int) and isinstance(step, int) and start % step:
            reporter.warn("evaluation.start", f"mmaction2 0.x validated at {start}, {start + step}, ...; vidcore "
                          f"validates at the multiples of {step} from {start} on")


def _add_test_loop(out: dict[str, Any]) -> None:
    if "test_dataloader" in out:
        out.setdefault("test_evaluator", {"type": "AccMetric"})
        out.setdefault("test_cfg", {"type": "TestLoop"})


def _map_hooks(src: dict[str, Any], out: dict[str, Any], reporter: Reporter) -> None:
    hooks = _section(out, "default_hooks", reporter)
    if "default_hooks" in src:  # 1.x
        configured = src.pop("default_hooks")
        if not isinstance(configured, dict):
            reporter.warn("default_hooks", f"expected a dict of hooks, got {configured!r}; dropped", dropped=True)
            configured = {}
        for name, hook in configured.items():
            if isinstance(hooks.get(name), dict) and isinstance(hook, dict):
                hooks[name] = {**hook, **hooks[name]}
            else:
                hooks[name] = hook
    checkpoint_config = src.pop("checkpoint_config", None)
    if isinstance(checkpoint_config, dict):
        checkpoint = _section(hooks, "checkpoint", reporter)
        checkpoint.setdefault("type", "CheckpointHook")
        for key, value in checkpoint_config.items():
            checkpoint.setdefault(key, value)
    log_config = src.pop("log_config", None)
    if isinstance(log_config, dict):
        log_config = dict(log_config)
        logger = _section(hooks, "logger", reporter)
        logger.setdefault("type", "LoggerHook")
        if "interval" in log_config:
            logger["interval"] = log_config.pop("interval")
        backends = []
        logger_hooks = log_config.pop("hooks", None) or []
        for index, hook in enumerate(logger_hooks if isinstance(logger_hooks, (list, tuple)) else [logger_hooks]):
            kind = hook.get("type") if isinstance(hook, dict) and isinstance(hook.get("type"), str) else None
            if kind == "TextLoggerHook":  # its own settings (ignore_last, by_epoch, interval) win, as in mmcv
                logger.update({arg: value for arg, value in hook.items() if arg != "type"})
                continue
            if kind in _LOGGER_BACKENDS:
                backend = {"type": _LOGGER_BACKENDS[kind]}
                if kind == "WandbLoggerHook" and "init_kwargs" in hook:
                    backend["init_kwargs"] = hook["init_kwargs"]
                backends.append(backend)
            else:
                reporter.warn(f"log_config.hooks[{index}]", f"logger hook {kind} has no vidcore equivalent; dropped",
                              dropped=True)
        if backends:
            visualizer = _section(out, "visualizer", reporter)
            if not isinstance(visualizer.get("vis_backends"), list):
                visualizer["vis_backends"] = []
            visualizer["vis_backends"].extend(backends)
        for key in log_config:
            reporter.warn(f"log_config.{key}", "no vidcore equivalent; dropped", dropped=True)


def _map_runtime(src: dict[str, Any], out: dict[str, Any], reporter: Reporter) -> None:
    for key, why in _NOT_NEEDED.items():
        if key in src:
            reporter.note(key, f"dropped: {why}", dropped=True)
            src.pop(key)
    if "workflow" in src:
        workflow = src.pop("workflow")
        steps = workflow if isinstance(workflow, (list, tuple)) else []
        if any(isinstance(step, (list, tuple)) and step and step[0] != "train" for step in steps):
            reporter.note("workflow", "validation runs per val_cfg / train_cfg.val_interval; workflow dropped",
                          dropped=True)
        else:
            reporter.note("workflow", "dropped: training is the only workflow", dropped=True)
    env = out.get("env_cfg") if isinstance(out.get("env_cfg"), dict) else {}
    if "cudnn_benchmark" in src:
        env["cudnn_benchmark"] = src.pop("cudnn_benchmark")
    for key in ("mp_start_method", "opencv_num_threads"):
        if key in src:
            env.setdefault("mp_cfg", {})[key] = src.pop(key)
    if env:
        out["env_cfg"] = env
    for key in ("seed", "deterministic"):
        if key in src:
            _section(out, "randomness", reporter)[key] = src.pop(key)
    if "visualizer" in src or "vis_backends" in src:
        _map_visualizer(src, out, reporter)
    if "log_processor" in src:
        processor = src.pop("log_processor")
        if isinstance(processor, dict) and processor.get("window_size", 20) == 20:
            reporter.note("log_processor", "dropped: vidcore's logger smooths over the logging interval", dropped=True)
        else:
            reporter.warn("log_processor", f"{processor!r} has no vidcore equivalent; dropped", dropped=True)
    if "custom_imports" in src:
        reporter.warn("custom_imports", "mmaction2 modules register with mmengine, not vidcore; dropped", dropped=True)
        src.pop("custom_imports")
    if "find_unused_parameters" in src:
        reporter.warn("find_unused_parameters", "not supported by vidcore's DDP wrapper; dropped", dropped=True)
        src.pop("find_unused_parameters")


def _map_visualizer(src: dict[str, Any], out: dict[str, Any], reporter: Reporter) -> None:
    visualizer = src.pop("visualizer", None)
    backends = src.pop("vis_backends", None)
    result = _section(out, "visualizer", reporter)
    if isinstance(visualizer, dict):
        visualizer = dict(visualizer)
        kind = visualizer.pop("type", None)
        if kind not in (None, "Visualizer", "ActionVisualizer"):
            reporter.warn("visualizer.type", f"visualizer {kind} has no vidcore equivalent; dropped", dropped=True)
        backends = visualizer.pop("vis_backends", backends)
        visualizer.pop("name", None)
        for key in visualizer:
            reporter.warn(f"visualizer.{key}", "no vidcore equivalent; dropped", dropped=True)
    if isinstance(backends, list):
        if not isinstance(result.get("vis_backends"), list):
            result["vis_backends"] = []
        existing = result["vis_backends"]
        existing[:0] = [b for b in backends if b not in existing]


def _report_leftovers(src: dict[str, Any], referenced: set[str], reporter: Reporter) -> None:
    helpers = sorted(key for key in src if key in referenced)
    reporter.helpers = helpers
    if helpers:
        reporter.note(", ".join(helpers), "helper variables, inlined where they were used")
    for key in sorted(set(src) - set(helpers)):
        if key in _NO_EQUIVALENT:
            reporter.warn(key, _NO_EQUIVALENT[key], dropped=True)
            continue
        reporter.warn(key, "not an mmaction2 setting vidcore knows, and no other key uses it; dropped", dropped=True)
