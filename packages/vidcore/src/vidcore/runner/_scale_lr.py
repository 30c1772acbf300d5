"""`auto_scale_lr`: scale the optimizer's learning rates to the real batch size (the linear scaling rule)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from ..errors import ConfigError

if TYPE_CHECKING:
    from ._runner import Runner

AUTO_SCALE_LR_KEYS = ("enable", "base_batch_size")


def scale_lr(runner: Runner) -> float | None:
    """With `auto_scale_lr: {enable: true, base_batch_size: B}`, multiply every parameter group's lr by
    `world_size x train batch_size / B` (as mmengine, before the schedulers record the initial lr) and log it
    in one line. Returns the factor, or None when scaling is off (the default)."""
    cfg = runner.cfg.get("auto_scale_lr")
    if cfg is None:
        return None
    if not isinstance(cfg, Mapping):
        raise ConfigError(f"{runner.where('auto_scale_lr')}: expected a mapping with enable and base_batch_size, "
                          f"got {cfg!r}")
    unknown = sorted(set(cfg) - set(AUTO_SCALE_LR_KEYS))
    if unknown:
        raise ConfigError(f"{runner.where('auto_scale_lr', unknown[0])}: unknown key "
                          f"(accepted: {', '.join(AUTO_SCALE_LR_KEYS)})")
    enable = cfg.get("enable", False)
    if not isinstance(enable, bool):
        raise ConfigError(f"{runner.where('auto_scale_lr', 'enable')}: expected true or false, got {enable!r}")
    base = cfg.get("base_batch_size")
    if base is not None and (isinstance(base, bool) or not isinstance(base, int) or base < 1):
        raise ConfigError(f"{runner.where('auto_scale_lr', 'base_batch_size')}: expected a positive integer, "
                          f"got {base!r}")
    if not enable:
        return None
    if base is None:
        raise ConfigError(f"{runner.where('auto_scale_lr', 'base_batch_size')}: missing; it is the total batch size "
                          "the configured lr was tuned for")
    batch_size = runner.train_dataloader.batch_size
    real = runner.world_size * batch_size
    factor = real / base
    groups = runner.optim_wrapper.param_groups
    for group in groups:
        group["lr"] = group["lr"] * factor
    runner.logger.info(f"auto_scale_lr: lr x {factor:g} = {runner.world_size} process(es) x batch size {batch_size} "
                       f"/ base_batch_size {base} (lr of the first parameter group now {groups[0]['lr']:g})")
    return factor
