"""Work-dir ownership: one run at a time writes into a work dir, and a new run never replaces an earlier run's
checkpoints unless told to (docs/reliability.md, "Work-dir ownership").

A training run holds an exclusive lock on `<work_dir>/.vidcore.lock` (`flock`), `vidcore test`/`val` a shared
one, from the start of the phase until the runner closes. The kernel drops the lock when the process ends,
however it ends (SIGKILL, OOM), so a stale lock file never blocks anybody; the file itself stays (removing
it would race with a process that has just opened it) and holds the holder's pid, host and command, which
the error of a second process names.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import time
import weakref
from pathlib import Path
from typing import Iterable

from ..errors import ConfigError

try:
    import fcntl
except ImportError:  # not POSIX: no locking (a warning says so)
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = ".vidcore.lock"
_CHECKPOINT_FILE = re.compile(r"^((epoch|iter)_\d+|best_.+)\.pth$")
_LISTED = 4
_HELD: weakref.WeakSet[WorkDirLock] = weakref.WeakSet()


def _forget_in_child() -> None:
    """A forked child (a DataLoader worker) closes its copies of held lock descriptors: the lock belongs to the
    parent alone and ends with it, even while workers outlive it for a moment."""
    for lock in list(_HELD):
        descriptor, lock._descriptor = lock._descriptor, None
        if descriptor is not None:
            try:
                os.close(descriptor)
            except OSError:
                pass
    _HELD.clear()


class WorkDirLock:
    """An `flock` on `<work_dir>/.vidcore.lock`: exclusive for training, shared for evaluation.

    `acquire()` raises a ConfigError naming the holder (pid, host, command, since when) when another
    process holds a conflicting lock, and returns a warning (str) instead of locking where the file
    system does not support locks; `release()` gives it back (so does the end of the process).
    """

    def __init__(self, work_dir: str | os.PathLike[str], exclusive: bool, purpose: str) -> None:
        self.work_dir = Path(work_dir)
        self.path = self.work_dir / LOCK_FILE
        self.exclusive = exclusive
        self.purpose = purpose  # "training", "testing", ...
        self._descriptor: int | None = None

    @property
    def held(self) -> bool:
        return self._descriptor is not None

    def acquire(self) -> str | None:
        if self._descriptor is not None:
            return None
        if fcntl is None:
            return f"{self.work_dir}: work dir not locked (no file locks on this system)"
        self.work_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(descriptor, (fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise ConfigError(self._busy_message()) from None
        except OSError as exc:  # ENOLCK, EOPNOTSUPP: some network and FUSE file systems
            os.close(descriptor)
            return f"{self.work_dir}: work dir not locked ({exc.strerror or exc}); make sure no other run uses it"
        self._descriptor = descriptor
        _HELD.add(self)
        self._write_holder()
        return None

    def release(self) -> None:
        descriptor, self._descriptor = self._descriptor, None
        _HELD.discard(self)
        if descriptor is not None:
            os.close(descriptor)  # closing the last descriptor of the open file releases the flock

    def _write_holder(self) -> None:
        """Who holds the lock, for the error of the next process that tries (one JSON line)."""
        assert self._descriptor is not None
        command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else "python"
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "command": command[:300],
                  "purpose": self.purpose, "since": time.strftime("%Y-%m-%d %H:%M:%S")}
        data = (json.dumps(holder) + "\n").encode("utf-8")
        try:
            os.pwrite(self._descriptor, data, 0)
            os.ftruncate(self._descriptor, len(data))
        except OSError:
            pass  # the lock holds without the note; the busy message then names nobody

    def _busy_message(self) -> str:
        holder = _read_holder(self.path)
        if holder:
            who = (f"pid {holder.get('pid', '?')} on {holder.get('host', '?')} ({holder.get('purpose', 'a run')}, "
                   f"`{holder.get('command', '?')}`, since {holder.get('since', '?')})")
        else:
            who = "another process"
        return (f"{self.work_dir}: the work dir is in use by {who}; wait for it to end, or choose another "
                "--work-dir")


def _read_holder(path: Path) -> dict[str, object] | None:
    try:
        with open(path, encoding="utf-8") as file:
            holder = json.loads(file.readline() or "null")
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def earlier_checkpoints(folders: Iterable[str | os.PathLike[str]], work_dir: str | os.PathLike[str]) -> list[str]:
    """The checkpoints an earlier run left (`epoch_N.pth`, `iter_N.pth`, `best_*.pth` in `folders`, and
    `<work_dir>/last_checkpoint`), as paths, sorted; empty for a fresh work dir."""
    found = set()
    for folder in dict.fromkeys(Path(folder) for folder in folders):
        if folder.is_dir():
            found.update(str(path) for path in folder.iterdir() if _CHECKPOINT_FILE.match(path.name))
    record = Path(work_dir) / "last_checkpoint"
    if os.path.lexists(record):
        found.add(str(record))
    return sorted(found)


def listed(paths: list[str]) -> str:
    """A few file names for a one-line message."""
    names = [Path(path).name for path in paths[:_LISTED]]
    return ", ".join(names) + (f" and {len(paths) - _LISTED} more" if len(paths) > _LISTED else "")


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
