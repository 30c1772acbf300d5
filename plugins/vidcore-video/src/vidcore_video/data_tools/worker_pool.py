"""Run one function over many tasks in worker processes, each task bounded in time.

A task that runs past its time limit has its worker killed (SIGKILL) and replaced, and is reported as timed
out; a worker that dies (a crash inside FFmpeg) is reported the same way, so one bad file never hangs or
stops the run. Workers exit by themselves when the parent process dies, even by SIGKILL.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterator, Sequence

from vidcore.errors import VidcoreError

__all__ = ["TaskOutcome", "run_tasks", "default_workers"]

_PARENT_POLL_S = 0.5


@dataclass
class TaskOutcome:
    """What became of task `index`: its return value, or the one-line reason it failed."""

    index: int
    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _exit_with_parent(parent: int) -> None:
    """End this worker when its parent is gone: at once where Linux can signal it, else within a poll."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_poll_parent, args=(parent,), daemon=True).start()


def _poll_parent(parent: int) -> None:
    while True:
        time.sleep(_PARENT_POLL_S)
        if os.getppid() != parent:
            os._exit(1)


def _worker_main(connection: Connection, function: Callable[[Any], Any], parent: int,
                 preload: Sequence[str]) -> None:
    _exit_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the parent handles it
    for module in preload:
        importlib.import_module(module)
    connection.send("ready")  # the time limit of a task counts from here, not from the interpreter's start
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        index, task = job
        try:
            reply = (index, function(task), None)
        except VidcoreError as exc:
            reply = (index, None, getattr(exc, "reason", None) or str(exc))
        except Exception as exc:  # any failure of one task is that task's result, not the run's end
            reply = (index, None, f"{type(exc).__name__}: {exc}")
        connection.send(reply)


class _Worker:
    def __init__(self, context: Any, function: Callable[[Any], Any], preload: Sequence[str]) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, function, os.getpid(), preload),
                                       daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.task: int | None = None
        self.deadline = float("inf")

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.connection.close()

    def stop(self) -> None:
        try:
            self.connection.send(None)
        except OSError:
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.kill()
        self.connection.close()


def run_tasks(function: Callable[[Any], Any], tasks: Sequence[Any], workers: int, timeout: float | None,
              preload: Sequence[str] = ()) -> Iterator[TaskOutcome]:
    """Outcomes of `function(task)` for every task, in completion order. `function` must be importable by
    name (a module-level function): workers are started with 'spawn', so they share no state with the caller.
    Each worker imports the `preload` modules before its first task, so that their import time does not count
    against a task's `timeout`."""
    if not tasks:
        return
    context = multiprocessing.get_context("spawn")
    pending = list(range(len(tasks) - 1, -1, -1))  # popped from the end: tasks start in list order
    pool = [_Worker(context, function, preload) for _ in range(max(1, min(workers, len(tasks))))]
    try:
        while pending or any(worker.task is not None for worker in pool):
            for worker in pool:
                if worker.ready and worker.task is None and pending:
                    worker.task = pending.pop()
                    worker.deadline = time.monotonic() + timeout if timeout else float("inf")
                    worker.connection.send((worker.task, tasks[worker.task]))
            waiting = [worker for worker in pool if worker.task is not None or not worker.ready]
            wait_s = max(0.0, min(worker.deadline for worker in waiting) - time.monotonic())
            ready = wait([worker.connection for worker in waiting], timeout=min(wait_s, 1.0))
            for position, worker in enumerate(pool):
                if worker.connection in ready:
                    try:
                        reply = worker.connection.recv()
                    except (EOFError, OSError):
                        worker.kill()
                        pool[position] = _Worker(context, function, preload)
                        if worker.task is None:  # died while starting
                            raise RuntimeError(f"a worker process failed to start "
                                               f"({_exit_reason(worker.process.exitcode)})") from None
                        reason = _exit_reason(worker.process.exitcode)
                        yield TaskOutcome(worker.task, error=f"the worker process died ({reason})")
                        continue
                    if reply == "ready":
                        worker.ready = True
                        continue
                    index, value, error = reply
                    worker.task = None
                    yield TaskOutcome(index, value, error)
                elif worker.task is not None and time.monotonic() >= worker.deadline:
                    outcome = TaskOutcome(worker.task, error=f"timed out after {timeout:g} s (killed)")
                    worker.kill()
                    pool[position] = _Worker(context, function, preload)
                    yield outcome
    finally:
        for worker in pool:
            if worker.task is None:
                worker.stop()
            else:
                worker.kill()


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"
