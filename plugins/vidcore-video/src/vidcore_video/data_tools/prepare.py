"""`vidcore data prepare`: re-encode a video for fast training reads — H.264 (yuv420p) at a given short side
and a keyframe every `gop` frames, no audio — written atomically. Every decoded frame is kept, in order, at
the source's average frame rate, so frame indices mean the same in the prepared file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .outputs import remove_leftovers, temporary_path
from .source_frames import failures_of, scaled_frames

__all__ = ["EncodeSettings", "PrepareTask", "PreparedVideo", "prepare_video"]


@dataclass(frozen=True)
class EncodeSettings:
    """`short_side` 0 keeps the size (rounded to even numbers); `crf` and `preset` are libx264's."""

    short_side: int = 256
    gop: int = 16
    crf: int = 23
    preset: str = "veryfast"


@dataclass(frozen=True)
class PrepareTask:
    source: str
    target: str
    settings: EncodeSettings


@dataclass(frozen=True)
class PreparedVideo:
    frames: int
    width: int
    height: int
    source_seconds: float


def prepare_video(task: PrepareTask) -> PreparedVideo:
    """Re-encode `task.source` to `task.target` (a temporary file renamed into place when complete); the
    source is only read. DecodeError naming the source when it cannot be read."""
    from ..video_writer import VideoWriter
    from .check import check_video

    check_video((task.source, False))  # the same problems `check` reports, before any work
    target = Path(task.target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target)
    temporary = temporary_path(target)
    settings = task.settings
    writer = None
    try:
        with failures_of(task.source, "re-encoding"):
            for frame, rate in scaled_frames(task.source, settings.short_side, "yuv420p"):
                if writer is None:
                    writer = VideoWriter(str(temporary), frame.width, frame.height, rate, codec="libx264",
                                         gop=settings.gop, exact_gop=True, container_format="mp4",
                                         options={"crf": str(settings.crf), "preset": settings.preset})
                writer.write(frame)
            assert writer is not None  # scaled_frames raises when there is no frame
            writer.close()
            os.replace(temporary, target)
    finally:
        if writer is not None:
            writer.abort()
        temporary.unlink(missing_ok=True)
    return PreparedVideo(writer.frames_written, writer.stream.width, writer.stream.height,
                         writer.frames_written / float(writer.rate))
