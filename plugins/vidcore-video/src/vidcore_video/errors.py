"""The error a decoder raises for a file it cannot read; datasets catch it to skip or stop."""

from __future__ import annotations

from vidcore.errors import DataError

__all__ = ["DecodeError"]


class DecodeError(DataError):
    """A media file is missing, empty, truncated, not a video, or has no frames. The message names the file."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot decode {path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple:  # keep picklable across DataLoader worker processes
        return (type(self), (self.path, self.reason))
