"""`vidcore data check`: can every listed video give training what it needs?

Each file is opened with PyAV, its packets indexed (what `PyAVInit` does), the frame count compared with what
the container claims, and its first and last frames decoded (what `PyAVDecode` does); `full` decodes every
frame instead. A problem is a DecodeError whose reason names it: missing, empty, not a video, no video
stream, unsupported codec, truncated, no frames, frame count off, a frame that does not decode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import DecodeError

__all__ = ["VideoFacts", "check_video", "claimed_frames"]


@dataclass(frozen=True)
class VideoFacts:
    """What a good video looks like: frames present, frames its container claims, size, codec, fps."""

    frames: int
    claimed: int | None
    width: int
    height: int
    codec: str
    fps: float | None


def claimed_frames(container: Any, stream: Any) -> tuple[int | None, int]:
    """The frame count the container claims (its header's count, else duration x frame rate) and how far a
    correct file may differ from it (0 for a header count; rounding of an estimate otherwise)."""
    if stream.frames:
        return int(stream.frames), 0
    rate = stream.average_rate or stream.guessed_rate
    seconds = None
    if stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration:
        seconds = container.duration / 1_000_000
    if not rate or not seconds:
        return None, 0
    estimate = seconds * float(rate)
    return int(round(estimate)), max(1, int(round(0.02 * estimate)))


def check_video(task: tuple[str, bool]) -> VideoFacts:
    """Facts of the video at `task[0]` (`task[1]`: decode every frame); DecodeError naming its problem."""
    import numpy as np

    from ..transforms.decoding_pyav import PyAVVideo

    path, full = task
    try:
        video = PyAVVideo(path)
    except DecodeError as exc:
        raise DecodeError(path, _explain_open_error(path, exc.reason)) from None
    except AttributeError:  # PyAV gives a stream without a codec context when FFmpeg has no decoder for it
        raise DecodeError(path, "unsupported codec: this FFmpeg build has no decoder for its video stream") from None
    try:
        stream = video.stream
        claimed, tolerance = claimed_frames(video.container, stream)
        present = video.total_frames
        if claimed is not None and present < claimed - tolerance:
            raise DecodeError(path, f"truncated: the container claims {claimed} frames, {present} are present")
        if claimed is not None and present > claimed + tolerance:
            raise DecodeError(path, f"frame count off: the container claims {claimed} frames, {present} are present")
        if full:
            decoded = _decode_all(video)
            if decoded != present:
                raise DecodeError(path, f"frame count off: {present} frames are present, {decoded} decode")
        else:
            ends = np.unique(np.array([0, present - 1]))
            frames = video.read_accurate(ends)
            for index, frame in zip(ends.tolist(), frames):
                if frame is None:
                    which = "first" if index == 0 else "last"
                    raise DecodeError(path, f"the {which} frame (index {index} of {present}) does not decode")
        codec = stream.codec_context.name
        return VideoFacts(present, claimed, stream.codec_context.width, stream.codec_context.height, codec,
                          video.avg_fps)
    finally:
        video.close()


def _decode_all(video: Any) -> int:
    """Frames the decoder outputs for every packet of the file."""
    codec = video.stream.codec_context
    codec.flush_buffers()
    count = 0
    try:
        for packet in [*video.packets, None]:
            count += len(codec.decode(packet))
    except Exception as exc:
        if count == 0:
            raise DecodeError(video.path, f"decoding failed ({exc})") from None
    return count


def _explain_open_error(path: str, reason: str) -> str:
    """An MP4/MOV file that cannot be opened although it starts like one is almost always cut short: its
    index (the moov box) is written at the end."""
    if reason.startswith("not a readable video"):
        try:
            with open(path, "rb") as file:
                head = file.read(12)
        except OSError:
            return reason
        if head[4:8] == b"ftyp":
            return f"truncated or damaged MP4/MOV: its index is unreadable ({reason})"
    return reason

