"""The top-level keys a config may have: vidcore's own, those plugins declare, and the user's variables.

Any other key is an error, so that a typo or an mmaction2 0.x key never trains differently without a word.
"""

from __future__ import annotations

from typing import Callable, Collection, Mapping, Sequence

from .._keypath import KeyPart
from ..errors import ConfigError

CORE_KEYS: dict[str, str] = {
    "model": "the model config (kind models)",
    "train_dataloader": "the training DataLoader: dataset, batch_size, num_workers, sampler, ...",
    "val_dataloader": "the validation DataLoader",
    "test_dataloader": "the test DataLoader",
    "val_evaluator": "the validation metric config or a list of them",
    "test_evaluator": "the test metric config or a list of them",
    "train_cfg": "the training loop: EpochBasedTrainLoop (max_epochs) or IterBasedTrainLoop (max_iters)",
    "val_cfg": "the validation loop (ValLoop); null turns validation off",
    "test_cfg": "the test loop (TestLoop)",
    "optim_wrapper": "the optimizer and its wrapper: optimizer, clip_grad, accumulative_counts, constructor, ...",
    "param_scheduler": "a parameter scheduler config or a list of them",
    "auto_scale_lr": "scales optimizer lr by world size x batch size / base_batch_size",
    "default_hooks": "the runner's default hooks by name: runtime_info, timer, sampler_seed, logger, ...",
    "custom_hooks": "a list of extra hook configs",
    "visualizer": "the visualizer and its vis_backends",
    "work_dir": "where checkpoints and logs go (default work_dirs/<config name>)",
    "load_from": "a checkpoint whose model weights initialise the model",
    "resume": "true (the work dir's latest checkpoint) or a checkpoint path to resume from",
    "randomness": "seed, deterministic, diff_rank_seed",
    "env_cfg": "cudnn_benchmark, torch_threads, dist_cfg",
    "compile": "torch.compile the model: false, true or its arguments",
    "model_wrapper_cfg": "DistributedDataParallel options",
    "log_level": "the console and log file level: INFO, WARNING, ...",
    "custom_imports": "local modules to import before building: imports, allow_failed_imports",
}

# mmaction2 0.x (mmcv) and 1.x (mmengine) keys vidcore does not read, with what replaces them.
MMACTION_KEYS: dict[str, str] = {
    "total_epochs": "train_cfg.max_epochs",
    "runner": "train_cfg (type EpochBasedTrainLoop with max_epochs, or IterBasedTrainLoop with max_iters)",
    "data": "train_dataloader / val_dataloader / test_dataloader",
    "optimizer": "optim_wrapper.optimizer",
    "optimizer_config": "optim_wrapper (grad_clip becomes optim_wrapper.clip_grad)",
    "lr_config": "param_scheduler",
    "momentum_config": "param_scheduler (momentum schedulers)",
    "checkpoint_config": "default_hooks.checkpoint",
    "log_config": "default_hooks.logger and visualizer.vis_backends",
    "evaluation": "train_cfg.val_interval, val_evaluator and default_hooks.checkpoint.save_best",
    "eval_config": "val_evaluator",
    "workflow": "train_cfg and val_cfg (validation follows train_cfg.val_interval)",
    "dist_params": "env_cfg.dist_cfg",
    "resume_from": "resume: <checkpoint path>",
    "gpu_ids": "the devices torchrun and CUDA_VISIBLE_DEVICES give",
    "fp16": "optim_wrapper.type: AmpOptimWrapper (or vidcore run --amp)",
    "cudnn_benchmark": "env_cfg.cudnn_benchmark",
    "find_unused_parameters": "model_wrapper_cfg.find_unused_parameters",
    "omnisource": "no replacement: OmniSource training is not supported",
    "precise_bn": "no replacement: PreciseBN is not supported",
    "output_config": "vidcore test --dump",
    "default_scope": "no replacement: vidcore has one namespace per component kind",
    "log_processor": "no replacement: LoggerHook averages over its logging interval",
    "launcher": "no replacement: vidcore detects torchrun",
    "vis_backends": "visualizer.vis_backends",
    "mp_start_method": "no replacement: DataLoader workers use the platform's default",
    "opencv_num_threads": "no replacement: vidcore decodes with PyAV, decord or Pillow",
    "strategy": "no replacement: vidcore wraps the model in DistributedDataParallel under torchrun",
}

_RESERVED = ("_base_", "_delete_")
_NOTHING = "no replacement: "

Locate = Callable[[Sequence[KeyPart]], "str | None"]


def is_free_key(name: str) -> bool:
    """Keys starting with `_` belong to the user (YAML anchors, notes); vidcore never reads them."""
    return name.startswith("_") and name not in _RESERVED


def top_level_key_errors(cfg: Mapping[str, object], variables: Collection[str], locate: Locate | None,
                         known: Mapping[str, str]) -> list[ConfigError]:
    """One error per top-level key that is neither known (`known`: the core's and the plugins' keys, see
    `PluginManager.declared_config_keys`), a variable (`variables`: keys a `${...}` reference used) nor a free
    `_` key."""
    from ..registry._hints import close_matches

    errors = []
    for key in cfg:
        name = str(key)
        if name in known or name in variables or is_free_key(name):
            continue
        source = locate((key,)) if locate else None
        where = f"{source}: {name}" if source else name
        if name in MMACTION_KEYS:
            replacement = MMACTION_KEYS[name]
            fix = (f"remove it ({replacement[len(_NOTHING):]})" if replacement.startswith(_NOTHING)
                   else f"use {replacement}")
            message = (f"{where}: '{name}' is an mmaction2 key that vidcore does not read; {fix}; "
                       "`vidcore migrate CONFIG.py` converts a whole mmaction2 config")
        else:
            message = f"{where}: unknown top-level key"
            suggestions = close_matches(name, [*known, *variables], limit=1)
            if suggestions:
                message += f"; did you mean '{suggestions[0]}'?"
            message += (f" (a key of your own must be used by a ${{{name}...}} reference or start with '_'; "
                        "`vidcore config keys` lists the keys vidcore reads)")
        errors.append(ConfigError(message))
    return errors


def unread_variables(cfg: Mapping[str, object], variables: Collection[str], known: Mapping[str, str]) -> list[str]:
    """The variables of `cfg` that neither vidcore nor a plugin reads (`known`): once references are resolved,
    nothing needs them."""
    return [name for name in cfg if name in variables and name not in known]
