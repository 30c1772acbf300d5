"""Progress display: a rich progress bar on an interactive terminal, nothing otherwise (log lines suffice).
rich is a dependency of vidcore, imported only when a bar is shown (never at start-up)."""

from __future__ import annotations

import sys
from typing import Any


class ProgressDisplay:
    """One bar per phase (`train`, `val`, `test`). rich is imported only when a bar is actually shown.

    While a bar is live, rich redirects stdout, so log lines written to `sys.stdout` appear above it.
    """

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stdout.isatty() if enabled is None else enabled
        self._progress: Any = None
        self._task: Any = None

    def start(self, description: str, total: int | None, completed: int = 0) -> None:
        if not self.enabled:
            return
        self.stop()
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), TimeRemainingColumn(), transient=True)
        self._progress.start()
        self._task = self._progress.add_task(description, total=total, completed=completed)

    def advance(self, steps: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, steps)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._task = None

    @property
    def active(self) -> bool:
        return self._progress is not None
