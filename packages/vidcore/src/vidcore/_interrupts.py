"""SIGINT (Ctrl-C) honoured at any moment of a command, start-up included (docs/reliability.md).

The `vidcore` entry point calls `install()` before its heavy imports. Its handler raises KeyboardInterrupt,
as Python's own does, and also remembers the signal: an interrupt that lands inside code which swallows or
rewraps exceptions (a module half imported by a plugin loader, a `try/except` around a build) is still
honoured — the CLI then reports `vidcore: interrupted` with status 130 whatever error followed, and training
that starts after it stops at its first safe point (`StopSignals` takes the pending signal over).
"""

from __future__ import annotations

import signal

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: the CLI starts faster
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any, Callable

_pending: int | None = None


def install() -> Callable[[], None]:
    """Handle SIGINT from now on (also where the parent ignored it, as for a job started with `&` from a script:
    training honours SIGINT, so start-up does too); returns a function that restores the previous handler."""
    global _pending
    _pending = None
    try:
        previous: Any = signal.signal(signal.SIGINT, _handle)
    except ValueError:  # not the main thread: nothing to install
        return lambda: None

    def restore() -> None:
        try:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)
        except ValueError:
            pass

    return restore


def _handle(signum: int, frame: FrameType | None) -> None:
    global _pending
    _pending = signum
    raise KeyboardInterrupt


def pending() -> int | None:
    """The signal number of an interrupt received since `install()`, or None."""
    return _pending


def clear() -> None:
    """Forget a pending interrupt (it has been acted on)."""
    global _pending
    _pending = None
