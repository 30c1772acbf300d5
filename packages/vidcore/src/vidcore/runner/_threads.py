"""The main process's torch threads (`env_cfg.torch_threads`), chosen so that they do not fight the
DataLoader workers for the cores."""

from __future__ import annotations

import contextlib
import os
from typing import Any, Iterable, Iterator

import torch

from ..errors import ConfigError


def _cores_per_process() -> int:
    """The cores this process may run on (its CPU affinity, e.g. under a job scheduler), shared with the other
    processes that torchrun started on this node."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1)))


def choose_torch_threads(setting: Any, num_workers: int, cores: int, on_accelerator: bool) -> int | None:
    """The intra-op thread count for `env_cfg.torch_threads`. `auto`: when the model runs on an accelerator
    and there are DataLoader workers, a core is left to each worker (`cores - num_workers`, at least 1), since
    the main process only feeds the device; when the model runs on the CPU, torch's default, since there the
    main process does the compute and every core it gets counts (measured: the TSN demo on 2 cores with 1
    worker took 53 s with torch's 2 threads, 89 s with 1). A positive integer is taken as it is; null keeps
    torch's default. None means: leave torch as it is."""
    if setting is None:
        return None
    if setting == "auto":
        return max(1, cores - num_workers) if num_workers > 0 and on_accelerator else None
    if isinstance(setting, bool) or not isinstance(setting, int) or setting < 1:
        raise ConfigError(f"expected 'auto', a positive integer or null, got {setting!r}")
    return setting


def torch_threads_for(setting: Any, loader_cfgs: Iterable[Any], where: str,
                      on_accelerator: bool) -> tuple[int | None, str]:
    """The thread count `env_cfg.torch_threads` asks for, given the largest `num_workers` of the configured
    dataloaders (None: leave torch as it is, also when the user fixed it with OMP_NUM_THREADS), and a line
    for the log saying why."""
    if setting == "auto" and os.environ.get("OMP_NUM_THREADS"):
        return None, ""
    workers = max((int(cfg.get("num_workers") or 0) for cfg in loader_cfgs if isinstance(cfg, dict)), default=0)
    cores = _cores_per_process()
    try:
        threads = choose_torch_threads(setting, workers, cores, on_accelerator)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return threads, (f"torch threads: {threads} ({cores} cores for this process, up to {workers} DataLoader "
                     "workers; env_cfg.torch_threads)")


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with `threads` intra-op threads (None: as they are), then put the previous count back."""
    previous = torch.get_num_threads()
    if threads is not None and threads != previous:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)
