"""Distributed training helpers: process-group setup under `torchrun`, rank queries, object broadcast.

Every function works unchanged in a single process (rank 0 of a world of 1), so callers never branch.
"""

from __future__ import annotations

import atexit
import datetime
import os
import time
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

__all__ = [
    "init_distributed",
    "default_backend",
    "get_backend",
    "is_distributed",
    "get_rank",
    "get_local_rank",
    "get_world_size",
    "is_main_process",
    "barrier",
    "broadcast_object",
    "all_gather_object",
    "all_reduce_max",
    "all_reduce_min",
    "unwrap_model",
    "DEFAULT_TIMEOUT_S",
]

# How long a collective waits for the other ranks before it fails (env_cfg.dist_cfg.timeout). A rank that
# dies is noticed at once (its sockets close) and torchrun stops the others; this bounds the case of a
# rank that hangs, or a job not started by torchrun.
DEFAULT_TIMEOUT_S = 1800.0
_CPU_GROUP: Any = None


def default_backend() -> str:
    """The process-group backend that fits this machine: nccl when CUDA is available, gloo otherwise."""
    return "nccl" if torch.cuda.is_available() else "gloo"


def init_distributed(backend: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> bool:
    """Join the process group that `torchrun` describes (env RANK, WORLD_SIZE, MASTER_ADDR/PORT).

    Does nothing when WORLD_SIZE is unset or 1, or when a group already exists. The backend defaults
    (None or "auto") to `default_backend()`. Returns whether the process is distributed.
    """
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size() > 1
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    if backend in (None, "auto"):
        backend = default_backend()
    if backend == "nccl":
        torch.cuda.set_device(get_local_rank())
    dist.init_process_group(backend=backend, timeout=datetime.timedelta(seconds=timeout_s))
    atexit.register(_leave_process_group)
    return True


def _leave_process_group() -> None:
    """At exit, let the process group's threads finish before the interpreter shuts down. A gloo thread frees
    each finished collective's tensors, which takes the GIL; if the interpreter is already finalizing then,
    the thread is cancelled inside a destructor and the process aborts ("terminate called without an active
    exception") after a run that succeeded. Sleeping hands them the GIL; then the group is destroyed."""
    global _CPU_GROUP
    if dist.is_available() and dist.is_initialized():
        time.sleep(0.2)
        _CPU_GROUP = None
        dist.destroy_process_group()


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def get_backend() -> str | None:
    """The process group's backend (gloo, nccl), or None in a single process."""
    return str(dist.get_backend()) if dist.is_available() and dist.is_initialized() else None


def get_rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def get_local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def get_world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def is_main_process() -> bool:
    """Rank 0 alone writes logs and checkpoints."""
    return get_rank() == 0


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def broadcast_object(obj: Any, src: int = 0) -> Any:
    """`obj` as rank `src` has it, on every rank (the value itself in a single process)."""
    if not is_distributed():
        return obj
    holder = [obj]
    dist.broadcast_object_list(holder, src=src)
    return holder[0]


def all_gather_object(obj: Any) -> list[Any]:
    """Every rank's `obj`, in rank order (`[obj]` in a single process)."""
    if not is_distributed():
        return [obj]
    gathered: list[Any] = [None] * get_world_size()
    dist.all_gather_object(gathered, obj)
    return gathered


def _cpu_group() -> Any:
    """A process group for small CPU tensors: the default one when it runs gloo, else a gloo group (created
    on first use, which every rank reaches at the same point)."""
    global _CPU_GROUP
    if "gloo" in str(dist.get_backend()):
        return None
    if _CPU_GROUP is None:
        _CPU_GROUP = dist.new_group(backend="gloo")
    return _CPU_GROUP


def all_reduce_max(value: int) -> int:
    """The largest of every rank's `value` (the value itself in a single process). Collective."""
    if not is_distributed():
        return value
    tensor = torch.tensor([value], dtype=torch.int64)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX, group=_cpu_group())
    return int(tensor.item())


def all_reduce_min(value: int) -> int:
    """The smallest of every rank's `value` (the value itself in a single process). Collective."""
    return -all_reduce_max(-value)


def unwrap_model(model: nn.Module) -> nn.Module:
    """The user's model inside a DistributedDataParallel (or DataParallel) wrapper."""
    while isinstance(model, (nn.parallel.DistributedDataParallel, nn.DataParallel)):
        model = model.module
    return model
