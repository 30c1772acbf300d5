"""Progress of a `vidcore data` command: a rich bar (files, files/s, ETA) on an interactive terminal, plain
lines on stderr every few seconds otherwise (logs, CI) or when rich is not installed. Report lines go to
stdout either way, above the bar."""

from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["FileProgress"]

_PLAIN_EVERY_S = 5.0


class FileProgress:
    """Counts finished files of `total`; `print()` writes a report line without breaking the bar. `enabled`
    forces the bar on or off (default: on when stdout and stderr are terminals); without it a plain line goes
    to stderr at most every `plain_every_s` seconds."""

    def __init__(self, description: str, total: int, enabled: bool | None = None,
                 plain_every_s: float = _PLAIN_EVERY_S) -> None:
        self.description = description
        self.plain_every_s = plain_every_s
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self._last_line = self.started
        self._bar: Any = None
        interactive = sys.stdout.isatty() and sys.stderr.isatty() if enabled is None else enabled
        if interactive:
            self._bar = _rich_bar(description, total)

    def __enter__(self) -> FileProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    def advance(self, files: int = 1) -> None:
        self.done += files
        if self._bar is not None:
            progress, task = self._bar
            progress.advance(task, files)
            return
        now = time.monotonic()
        if now - self._last_line >= self.plain_every_s and self.done < self.total:
            self._last_line = now
            remaining = (self.total - self.done) / self.rate if self.rate else float("inf")
            print(f"{self.description}: {self.done}/{self.total} files, {self.rate:.1f} files/s, "
                  f"ETA {_duration(remaining)}", file=sys.stderr, flush=True)

    def print(self, line: str) -> None:
        if self._bar is not None:
            self._bar[0].console.print(line, highlight=False, markup=False, soft_wrap=True)
        else:
            print(line, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar[0].stop()
            self._bar = None


def _rich_bar(description: str, total: int) -> tuple[Any, Any] | None:
    try:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text
    except ImportError:  # rich is optional (`vidcore[progress]`)
        return None

    class FilesPerSecond(ProgressColumn):
        def render(self, task: Any) -> Any:
            return Text(f"{task.speed:.1f} files/s" if task.speed else "- files/s")

    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), FilesPerSecond(),
                        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), transient=True)
    progress.start()
    return progress, progress.add_task(description, total=total)


def _duration(seconds: float) -> str:
    if seconds == float("inf"):
        return "?"
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
