"""What a runner checkpoint holds, and restoring all of it on resume (docs/runner.md, Checkpoints)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import torch

from .. import __version__
from .._plain_data import to_plain
from .._randomness import get_rng_state, set_rng_state
from ..checkpoint import LAST_CHECKPOINT_FILE, load_checkpoint, load_state_dict, read_last_checkpoint
from ..dist import all_gather_object, unwrap_model
from ..errors import CheckpointError

if TYPE_CHECKING:
    from ._runner import Runner

_PERIODIC = re.compile(r"^(epoch|iter)_(\d+)\.pth$")


def make_checkpoint(runner: Runner, save_optimizer: bool = True, save_param_scheduler: bool = True) -> dict:
    """The checkpoint dict (plain data and tensors only). Collective: gathers every rank's RNG state."""
    rng_states = all_gather_object(get_rng_state())
    loop = runner.train_loop
    loop_state = dict(loop.state_dict(), type=type(loop).__name__)
    checkpoint: dict[str, Any] = {
        "meta": _meta(runner, loop_state),
        "state_dict": {key: value.detach().cpu() for key, value in unwrap_model(runner.model).state_dict().items()},
        "loop": loop_state,
        "rng": rng_states,
        "message_hub": runner.message_hub.state_dict(),
        "hooks": {name: to_plain(hook.state_dict(), tensors=True) for name, hook in named_hooks(runner).items()
                  if hook.state_dict()},
    }
    if save_optimizer:
        checkpoint["optimizer"] = runner.optim_wrapper.state_dict()
    if save_param_scheduler:
        checkpoint["param_schedulers"] = [scheduler.state_dict() for scheduler in runner.param_schedulers]
    return checkpoint


def _meta(runner: Runner, loop_state: Mapping[str, Any]) -> dict[str, Any]:
    from ..plugins._manager import get_plugin_manager

    plugins = {info.dist: info.version for info in get_plugin_manager().plugins.values() if info.status == "loaded"}
    return {
        "epoch": loop_state["epoch"],
        "iter": loop_state["iter"],
        "vidcore_version": __version__,
        "torch_version": str(torch.__version__),
        "plugin_versions": plugins,
        "cfg": to_plain(runner.cfg),
        "seed": runner.seed,
        "experiment_name": runner.experiment_name,
        "world_size": runner.world_size,
        "time": time.strftime("%Y%m%d_%H%M%S"),
        "dataset_meta": _dataset_meta(runner),
    }


def _dataset_meta(runner: Runner) -> dict[str, Any]:
    """The dataset's `metainfo` (e.g. its class names), so that the checkpoint alone can name predictions."""
    for loop in (runner.train_loop, runner.val_loop, runner.test_loop):
        metainfo = getattr(getattr(getattr(loop, "dataloader", None), "dataset", None), "metainfo", None)
        if isinstance(metainfo, Mapping) and metainfo:
            return to_plain(dict(metainfo))
    return {}


def named_hooks(runner: Runner) -> dict[str, Any]:
    """Hooks by a stable name (class name, `#2` for a second instance), for their checkpoint state."""
    named: dict[str, Any] = {}
    for hook in runner.hooks:
        name = type(hook).__name__
        count = sum(1 for key in named if key == name or key.startswith(f"{name}#"))
        named[name if count == 0 else f"{name}#{count + 1}"] = hook
    return named


def restore_checkpoint(runner: Runner, checkpoint: dict[str, Any], path: str) -> None:
    """Model (strictly), optimizer, schedulers, loop position, runtime info, hook states, seed, RNG states."""
    problem = checkpoint_problem(checkpoint)
    if problem:
        raise CheckpointError(f"{path}: cannot resume from it: {problem}")
    _check_position(runner, checkpoint.get("loop"), path)
    load_state_dict(runner.model, checkpoint, strict=True, source=path)
    if "optimizer" in checkpoint:
        try:
            runner.optim_wrapper.load_state_dict(checkpoint["optimizer"])
        except (ValueError, KeyError, RuntimeError) as exc:
            raise CheckpointError(f"{path}: the optimizer state does not fit this config's optimizer: "
                                  f"{exc}") from exc
    else:
        runner.logger.warning(f"{path}: no optimizer state (saved with save_optimizer=false); it starts afresh")
    states = checkpoint.get("param_schedulers")
    if states is not None:
        if len(states) != len(runner.param_schedulers):
            raise CheckpointError(f"{path}: holds {len(states)} param scheduler states, the config builds "
                                  f"{len(runner.param_schedulers)}")
        for scheduler, state in zip(runner.param_schedulers, states):
            scheduler.load_state_dict(state)
    loop, loop_state = runner.train_loop, checkpoint.get("loop")
    if loop_state is None:
        raise CheckpointError(f"{path}: has no training position ('loop'); use it with load_from instead")
    if loop_state.get("type") not in (None, type(loop).__name__):
        raise CheckpointError(f"{path}: was saved by a {loop_state['type']}, this config trains with "
                              f"{type(loop).__name__}")
    loop.load_state_dict(loop_state)
    runner.message_hub.load_state_dict(checkpoint.get("message_hub", {}))
    saved_hooks = checkpoint.get("hooks", {})
    for name, hook in named_hooks(runner).items():
        if name in saved_hooks:
            hook.load_state_dict(saved_hooks[name])
    _restore_seed(runner, (checkpoint.get("meta") or {}).get("seed"))
    rng_states = checkpoint.get("rng")
    if rng_states:
        set_rng_state(rng_states[runner.rank] if len(rng_states) == runner.world_size else rng_states[0])


def _check_position(runner: Runner, position: Mapping[str, Any] | None, path: str) -> None:
    """A position beyond this config's training length, or inside an epoch longer than this one's, cannot be
    continued: stop with one line rather than resume to a loop that does nothing or skips a whole epoch."""
    loop = runner.train_loop
    if not position or loop is None:
        return
    if loop.by_epoch and position["epoch"] > loop.max_epochs:
        raise CheckpointError(f"{path}: holds epoch {position['epoch']}, beyond train_cfg.max_epochs="
                              f"{loop.max_epochs} of this config; raise max_epochs to train on from it")
    if not loop.by_epoch and position["iter"] > loop.max_iters:
        raise CheckpointError(f"{path}: holds iteration {position['iter']}, beyond train_cfg.max_iters="
                              f"{loop.max_iters} of this config; raise max_iters to train on from it")
    length = getattr(loop, "epoch_length", None)
    if loop.by_epoch and length and position.get("inner_iter", 0) >= length:
        raise CheckpointError(f"{path}: holds {position['inner_iter']} batches done in epoch {position['epoch'] + 1}, "
                              f"which has {length} batches with this config's train data")


def _restore_seed(runner: Runner, seed: int | None) -> None:
    """Samplers must shuffle as in the interrupted run, whose seed may have been drawn at random."""
    if seed is None or seed == runner.seed:
        return
    if (runner.cfg.get("randomness") or {}).get("seed") is not None:
        runner.logger.warning(f"resume: the checkpoint was trained with seed {seed}, not {runner.seed}; using {seed}")
    runner.seed = seed
    for loader in (runner.train_dataloader, runner.val_dataloader):
        sampler = getattr(loader, "sampler", None)
        if hasattr(sampler, "seed"):
            sampler.seed = seed


def find_resume_checkpoint(work_dir: str, warn: Callable[[str], None],
                           checkpoint_dir: str | os.PathLike[str] | None = None) -> tuple[str, dict[str, Any]] | None:
    """The newest checkpoint of `work_dir` that loads, and its content, for `resume: true` (None: none yet).

    It is the file `last_checkpoint` names (resolved against `work_dir`, see `read_last_checkpoint`). When
    that file is missing or damaged (truncated, corrupt, not a runner checkpoint), or `last_checkpoint`
    itself is missing or damaged, the newest loadable periodic checkpoint (`epoch_N.pth`, `iter_N.pth`) of
    `checkpoint_dir` (default: the work dir) or the work dir is used instead, and `warn` says which file was
    skipped and which is used. Only files of this work dir (and `checkpoint_dir`) are considered. Only
    when checkpoints exist and none loads is it an error.
    """
    record = Path(work_dir) / LAST_CHECKPOINT_FILE
    named, note = read_last_checkpoint(work_dir, checkpoint_dir)
    skipped: list[str] = []
    if named is None and note:
        skipped.append(note)
    elif note:
        warn(f"resume: {note}")
    candidates = [str(named)] if named is not None else []
    folders = [Path(checkpoint_dir)] if checkpoint_dir is not None else []
    folders.append(Path(work_dir))
    candidates += [str(path) for path in _periodic_checkpoints(folders)
                   if named is None or not _same_file(path, named)]
    if named is None and not note and candidates:
        skipped.append(f"{record} is missing")
    for path in candidates:
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointError as exc:
            why = f"{path} (named in {record}) does not exist" if not Path(path).exists() else str(exc)
            skipped.append(why)
            continue
        problem = checkpoint_problem(checkpoint)
        if problem:
            skipped.append(f"{path}: {problem}")
            continue
        if skipped:
            warn(f"resume: {skipped[0]}; resuming from the previous good checkpoint {path} instead")
        return path, checkpoint
    if named is not None or skipped:
        raise CheckpointError(f"resume: no loadable checkpoint in {work_dir}: " + "; ".join(skipped))
    return None


def checkpoint_problem(checkpoint: Mapping[str, Any]) -> str | None:
    """What makes a loaded checkpoint unfit to resume from (its parts of the wrong kind, an impossible loop
    position), or None. Damage of this kind is treated like a corrupt file."""
    for key, kind in (("meta", dict), ("loop", dict), ("hooks", dict), ("message_hub", dict), ("rng", list),
                      ("param_schedulers", list), ("state_dict", Mapping)):
        if key in checkpoint and checkpoint[key] is not None and not isinstance(checkpoint[key], kind):
            return f"'{key}' is a {type(checkpoint[key]).__name__}, not a {'list' if kind is list else 'mapping'}"
    seed = (checkpoint.get("meta") or {}).get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        return f"meta.seed is {seed!r}, not an integer"
    loop = checkpoint.get("loop")
    if not loop:
        return None  # no position: restore_checkpoint says to use the file with load_from
    for key in ("epoch", "iter", "inner_iter", "data_epoch"):
        value = loop.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return f"impossible loop position: {key} = {value!r} (expected an integer >= 0)"
    if loop.get("inner_iter", 0) > loop["iter"] or loop["epoch"] > loop["iter"]:
        return (f"impossible loop position: epoch {loop['epoch']}, iteration {loop['iter']}, "
                f"{loop.get('inner_iter', 0)} batches into the epoch")
    return None


def _same_file(path: Path, other: Path) -> bool:
    try:
        return path.resolve() == other.resolve()
    except (OSError, RuntimeError):
        return False


def _periodic_checkpoints(folders: list[Path]) -> list[Path]:
    """`epoch_N.pth` / `iter_N.pth` in `folders`, newest written first."""
    found: dict[Path, Path] = {}
    for folder in folders:
        if folder.is_dir():
            for path in folder.iterdir():
                if _PERIODIC.match(path.name) and path.is_file():
                    found.setdefault(path.resolve(), path.resolve())
    return sorted(found.values(), key=lambda path: (path.stat().st_mtime_ns, int(_PERIODIC.match(path.name)[2])),
                  reverse=True)
