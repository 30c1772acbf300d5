"""The runner's text logger: console on rank 0 (warnings only on other ranks), plus `<log_dir>/<timestamp>.log`."""

from __future__ import annotations

import itertools
import logging
import sys
import traceback

_FORMAT = "%(asctime)s - vidcore - %(levelname)s - %(message)s"
_DATE_FORMAT = "%Y/%m/%d %H:%M:%S"
_COUNTER = itertools.count()


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever `sys.stdout` is at the time (a live rich progress bar redirects it)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property  # type: ignore[override]
    def stream(self):  # noqa: D401 - property standing in for logging's attribute
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:
        pass


def build_logger(rank: int, level: str | int = "INFO") -> logging.Logger:
    """A logger of its own for one runner (so runners in one process never share handlers)."""
    logger = logging.getLogger(f"vidcore.runner.{next(_COUNTER)}")
    logger.propagate = False
    logger.setLevel(level if isinstance(level, int) else level.upper())
    handler: logging.Handler
    if rank == 0:
        handler = _StdoutHandler()
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter(_FORMAT, _DATE_FORMAT))
    logger.addHandler(handler)
    return logger


def add_log_file(logger: logging.Logger, path: str) -> logging.FileHandler:
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT, _DATE_FORMAT))
    logger.addHandler(handler)
    return handler


def log_exception_to_file(logger: logging.Logger, exc: BaseException) -> None:
    """The traceback goes to the log file only; the console gets the CLI's one-line message."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
    record = logger.makeRecord(logger.name, logging.ERROR, __file__, 0, f"run stopped by an error:\n{text}", None, None)
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


def close_logger(logger: logging.Logger, file_only: bool = True) -> None:
    """Close the log file (and, with `file_only=False`, every handler)."""
    for handler in list(logger.handlers):
        if isinstance(handler, logging.FileHandler) or not file_only:
            handler.close()
            logger.removeHandler(handler)
