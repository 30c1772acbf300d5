"""Cheap checks that a video file can be opened, run before handing it to decord (which can hang or leak
on bad input), and the per-process record of files that passed."""

from __future__ import annotations

import os
from typing import Any

from ..errors import DecodeError

__all__ = ["check_file", "describe_error", "probe_video", "read_packets"]

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
    stream with at least one packet and all the frames its container's index lists (`read_packets`; the
    packets are demuxed, not decoded). Results are remembered per (size, mtime), so a file is probed once."""
    size = check_file(path)
    mtime = os.path.getmtime(path)
    if _PROBED.get(path) == (size, mtime):
        return
    import av

    try:
        with av.open(path, metadata_errors="ignore", options={"skip_frame": "nonkey"}) as container:  # no decoding
            if not container.streams.video:
                raise DecodeError(path, "no video stream (audio-only or not a video file)")
            read_packets(path, container, container.streams.video[0], keep=False)
    except DecodeError:
        raise
    except Exception as exc:  # PyAV raises FFmpegError subclasses, OSError, ValueError... all mean "unreadable"
        raise DecodeError(path, f"not a readable video ({describe_error(exc)})") from None
    if len(_PROBED) >= _PROBED_LIMIT:
        _PROBED.clear()
    _PROBED[path] = (size, mtime)


def read_packets(path: str, container: Any, stream: Any, keep: bool = True) -> list[Any]:
    """The non-empty packets of `stream` in decode order (an empty list unless `keep`).

    DecodeError when there is none, or when the file is shorter than its container says: the last packet
    was cut short (FFmpeg flags a partial read as corrupt), or there are fewer packets than the frames the
    container's index lists (MP4/MOV list every frame, so a file cut even at a frame boundary is caught).
    A truncated file would otherwise yield frames that do not decode, or train on part of a video.
    """
    packets: list[Any] = []
    present = listed = 0  # non-empty packets; packets that stand for a frame (an AVI's dropped frame is empty)
    last_corrupt = False
    try:
        for packet in container.demux(stream):
            if packet.size or packet.dts is not None:  # not the empty packet that marks the end
                listed += 1
            if packet.size:
                present += 1
                last_corrupt = packet.is_corrupt
                if keep:
                    packets.append(packet)
    except Exception as exc:
        if not present:
            raise DecodeError(path, f"cannot read packets ({describe_error(exc)})") from None
        # Damaged data after some packets: the checks below tell whether frames the index lists are lost.
    if not present:
        raise DecodeError(path, "video stream has no frames")
    claimed = int(stream.frames or 0)
    if claimed and listed < claimed:
        raise DecodeError(path, f"truncated: the container claims {claimed} frames, {listed} are present")
    if last_corrupt:
        raise DecodeError(path, f"truncated: the file ends inside the data of frame {present}"
                                + (f" of the {claimed} the container claims" if claimed else ""))
    return packets
