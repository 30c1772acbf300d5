"""The summary that ends `vidcore run`: the best validation score and where it was, the checkpoints to use
next, the test metrics, the wall time and the work dir, so that nobody has to dig through the log."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from ._runner import Runner


def format_duration(seconds: float) -> str:
    """`42 s`, `3 min 12 s`, `2 h 05 min`."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def run_summary(runner: Runner, wall_s: float, test_metrics: Mapping[str, float] | None = None) -> list[str]:
    """The summary's lines for a run that trained (and maybe tested)."""
    from ..hooks import CheckpointHook

    lines = ["run summary:"]
    checkpoint_hook = next((hook for hook in runner.hooks if isinstance(hook, CheckpointHook)), None)
    if checkpoint_hook is not None and checkpoint_hook.best_path:
        where = f" at {checkpoint_hook.best_at}" if checkpoint_hook.best_at else ""
        lines.append(f"  best {checkpoint_hook.best_metric}: {checkpoint_hook.best_score:.4f}{where}, "
                     f"checkpoint {checkpoint_hook.best_path}")
    last = _last_checkpoint(runner)
    if last:
        lines.append(f"  last checkpoint: {last}")
    if test_metrics:
        lines.append("  test: " + ", ".join(f"{key} {value:.4f}" for key, value in test_metrics.items()
                                            if isinstance(value, (int, float))))
    lines.append(f"  wall time: {format_duration(wall_s)}")
    log = f" (log {os.path.join(runner.log_dir, f'{runner.timestamp}.log')})" if runner.log_dir else ""
    lines.append(f"  work dir: {runner.work_dir}{log}")
    return lines


def _last_checkpoint(runner: Runner) -> str | None:
    """The newest periodic checkpoint: this run's, else the one `<work_dir>/last_checkpoint` names."""
    if runner.last_checkpoint is not None:
        return runner.last_checkpoint[0]
    from ..checkpoint import read_last_checkpoint

    path, _ = read_last_checkpoint(runner.work_dir)
    return str(path) if path is not None else None
