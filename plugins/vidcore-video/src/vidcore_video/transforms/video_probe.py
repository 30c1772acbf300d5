"""Cheap checks that a video file can be opened, run before handing it to decord (which can hang or leak
on bad input), and the per-process record of files that passed."""

from __future__ import annotations

import os

from ..errors import DecodeError

__all__ = ["check_file", "describe_error", "probe_video"]

# Paths that passed the probe in this process; bounded so that huge datasets do not grow it forever.
_PROBED: dict[str, tuple[int, float]] = {}
_PROBED_LIMIT = 100_000


def describe_error(exc: BaseException) -> str:
    """A short cause: FFmpeg's own words ("Invalid data found when processing input") without the errno and
    the repeated file name; other exceptions as `Type: message`."""
    strerror = getattr(exc, "strerror", None)
    if strerror and type(exc).__module__.startswith("av"):
        return str(strerror)
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:300]}" if lines else type(exc).__name__


def check_file(path: str) -> int:
    """Size of `path` in bytes; DecodeError when it is missing, not a file or empty."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        raise DecodeError(path, "file not found") from None
    except OSError as exc:
        raise DecodeError(path, f"cannot stat file ({exc.strerror or exc})") from None
    if not os.path.isfile(path):
        raise DecodeError(path, "not a regular file")
    if stat.st_size == 0:
        raise DecodeError(path, "file is empty (0 bytes)")
    return stat.st_size


def probe_video(path: str) -> None:
    """DecodeError unless `path` is a non-empty file whose container PyAV can open and which holds a video
    stream with at least one packet. Results are remembered per (size, mtime), so a file is probed once."""
    size = check_file(path)
    mtime = os.path.getmtime(path)
    if _PROBED.get(path) == (size, mtime):
        return
    import av

    try:
        with av.open(path, metadata_errors="ignore", options={"skip_frame": "nonkey"}) as container:  # no decoding
            if not container.streams.video:
                raise DecodeError(path, "no video stream (audio-only or not a video file)")
            stream = container.streams.video[0]
            if not any(packet.size for packet, _ in zip(container.demux(stream), range(8))):
                raise DecodeError(path, "video stream has no frames")
    except DecodeError:
        raise
    except Exception as exc:  # PyAV raises FFmpegError subclasses, OSError, ValueError... all mean "unreadable"
        raise DecodeError(path, f"not a readable video ({describe_error(exc)})") from None
    if len(_PROBED) >= _PROBED_LIMIT:
        _PROBED.clear()
    _PROBED[path] = (size, mtime)
