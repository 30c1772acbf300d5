"""Stopping training cleanly on SIGINT / SIGTERM: finish the iteration, write a checkpoint, exit 130 / 143.

While `train()` runs, the first SIGINT or SIGTERM only sets a flag. The train loop looks at it at its
safe points (after an iteration, outside every hook; between epochs), writes a checkpoint of that
position and raises `TrainingInterrupted`, which the CLI turns into one line and the exit status
128 + signal number. A second signal stops at once (checkpoints are written atomically, so the newest
one on disk stays intact). Processes forked while the handler is installed (DataLoader workers) keep
the default behaviour.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from ._runner import Runner

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on a signal; `message` is the CLI's one line, `exit_status` 128 + the signal number."""

    def __init__(self, signum: int, message: str, checkpoint: str | None = None) -> None:
        super().__init__(message)
        self.signum = signum
        self.message = message
        self.checkpoint = checkpoint

    @property
    def exit_status(self) -> int:
        return 128 + self.signum

    def __str__(self) -> str:
        return self.message


class StopSignals:
    """Context manager: SIGINT/SIGTERM set `signum` instead of stopping the process (main thread only)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}
        self._pid = os.getpid()

    def __enter__(self) -> StopSignals:
        from .. import _interrupts as interrupts

        if interrupts.pending():  # a Ctrl-C during start-up that something swallowed: stop at the first safe point
            self.signum = interrupts.pending()
            interrupts.clear()
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.getsignal(signum)
                signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self._pid:  # a forked child (DataLoader worker): behave as without the handler
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if self.signum is not None:
            raise TrainingInterrupted(signum, f"stopped at once by a second {signal_name(signum)}; the newest "
                                              "checkpoint on disk is intact (continue with --resume)")
        self.signum = signum


def stop_at_safe_point(runner: Runner, signum: int) -> None:
    """With a stop requested (`signum` != 0, the same on every rank): write `iter_<N>.pth` of the position
    (unless this run's newest checkpoint holds it) through the CheckpointHook, point `last_checkpoint` at
    it, and raise TrainingInterrupted. Inside a gradient-accumulation window it waits for the window's end."""
    window_done = getattr(runner.optim_wrapper, "should_update", None)
    if not signum or (window_done is not None and not window_done()):
        return
    position = runner.train_loop.state_dict()
    name = signal_name(signum)
    if position["iter"] == 0:
        raise TrainingInterrupted(signum, f"interrupted by {name} before the first iteration; nothing to save")
    where = describe_position(runner.train_loop, position)
    path = _newest_at(runner, position) or _save(runner, f"iter_{position['iter']}.pth")
    runner.logger.warning(f"stopped by {name} {where}; saved {path}")
    raise TrainingInterrupted(signum, f"interrupted by {name} {where}: saved {path}; continue with --resume",
                              checkpoint=path)


def describe_position(loop: Any, position: Mapping[str, Any]) -> str:
    """`after iteration 12 (epoch 3: 2 of 5 batches done)`, for the log and the interrupt message."""
    if not loop.by_epoch:
        return f"after iteration {position['iter']} of {loop.max_iters}"
    if position["inner_iter"] == 0:
        return f"after iteration {position['iter']} (end of epoch {position['epoch']})"
    return (f"after iteration {position['iter']} (epoch {position['epoch'] + 1}: {position['inner_iter']} of "
            f"{loop.epoch_length} batches done)")


def _newest_at(runner: Runner, position: Mapping[str, Any]) -> str | None:
    """The checkpoint `last_checkpoint` names, when this run wrote it at exactly this position."""
    if runner.last_checkpoint is None:
        return None
    path, saved = runner.last_checkpoint
    return path if all(saved.get(key) == position[key] for key in ("epoch", "iter", "inner_iter")) else None


def _save(runner: Runner, filename: str) -> str:
    from ..hooks import CheckpointHook

    hook = next((hook for hook in runner.hooks if isinstance(hook, CheckpointHook)), None)
    if hook is not None:  # its folder, and counted by max_keep_ckpts
        return str(hook.save_now(runner, filename))
    path = Path(runner.work_dir) / filename
    runner.save_checkpoint(path)
    runner.record_last_checkpoint(path)
    return str(path)
