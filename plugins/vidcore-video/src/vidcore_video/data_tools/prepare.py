"""`vidcore data prepare`: re-encode a video for fast training reads — H.264 (yuv420p) at a given short side
and a keyframe every `gop` frames, no audio — written atomically. Every decoded frame is kept, in order, at
the source's average frame rate, so frame indices mean the same in the prepared file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import DecodeError
from .outputs import remove_leftovers, temporary_path

__all__ = ["EncodeSettings", "PrepareTask", "PreparedVideo", "scaled_size", "prepare_video"]


@dataclass(frozen=True)
class EncodeSettings:
    """`short_side` 0 keeps the size (rounded down to even numbers); `crf` and `preset` are libx264's."""

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


def scaled_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    """(width, height) with the shorter side `short_side` (0: unchanged), the aspect ratio kept and both even
    (yuv420p needs even sizes)."""
    if short_side:
        if width <= height:
            width, height = short_side, height * short_side / width
        else:
            width, height = width * short_side / height, short_side
    return max(2, int(round(width / 2)) * 2), max(2, int(round(height / 2)) * 2)


def prepare_video(task: PrepareTask) -> PreparedVideo:
    """Re-encode `task.source` to `task.target` (a temporary file renamed into place when complete); the
    source is only read. DecodeError naming the source when it cannot be read."""
    import av

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
        with av.open(task.source, metadata_errors="ignore") as source:
            stream = source.streams.video[0]
            stream.thread_type = "SLICE"
            stream.codec_context.thread_count = 1  # one file per worker process: parallel across files
            rate = stream.average_rate or stream.guessed_rate or 25
            interpolation = None
            for frame in source.decode(stream):
                if writer is None:
                    width, height = scaled_size(frame.width, frame.height, settings.short_side)
                    interpolation = "AREA" if width < frame.width else "BICUBIC"
                    writer = VideoWriter(str(temporary), width, height, rate, codec="libx264", gop=settings.gop,
                                         exact_gop=True, container_format="mp4",
                                         options={"crf": str(settings.crf), "preset": settings.preset})
                writer.write(frame.reformat(width=writer.stream.width, height=writer.stream.height,
                                            format="yuv420p", interpolation=interpolation))
        if writer is None:
            raise DecodeError(task.source, "video stream has no frames")
        writer.close()
        frames = writer.frames_written
        os.replace(temporary, target)
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(task.source, f"re-encoding failed ({type(exc).__name__}: {exc})") from None
    finally:
        if writer is not None:
            writer.abort()
        temporary.unlink(missing_ok=True)
    return PreparedVideo(frames, writer.stream.width, writer.stream.height, frames / float(rate))
