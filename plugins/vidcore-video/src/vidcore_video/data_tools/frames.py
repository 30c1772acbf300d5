"""`vidcore data extract-frames`: a video's frames as JPEG files `img_00001.jpg`, ... in one folder (mmaction2's
raw-frame layout, read by `RawframeDataset`), written into a temporary folder renamed into place when complete."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import DecodeError
from .outputs import remove_leftovers, temporary_path
from .prepare import scaled_size

__all__ = ["FRAME_TEMPLATE", "ExtractTask", "extract_frames", "count_frames"]

FRAME_TEMPLATE = "img_{:05}.jpg"  # RawframeDataset's default filename_tmpl, numbered from 1


@dataclass(frozen=True)
class ExtractTask:
    source: str
    target: str
    short_side: int = 256
    quality: int = 95


def count_frames(folder: str | os.PathLike) -> int:
    """Frames in a complete frame folder (`img_00001.jpg` up to the first missing number)."""
    names = set(os.listdir(folder))
    count = 0
    while FRAME_TEMPLATE.format(count + 1) in names:
        count += 1
    return count


def extract_frames(task: ExtractTask) -> int:
    """Write every frame of `task.source` to the folder `task.target`; returns the frame count. The source is
    only read. DecodeError naming the source when it cannot be read."""
    import av

    from .check import check_video

    check_video((task.source, False))
    target = Path(task.target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target)
    temporary = temporary_path(target)
    temporary.mkdir()
    count = 0
    try:
        with av.open(task.source, metadata_errors="ignore") as source:
            stream = source.streams.video[0]
            stream.thread_type = "SLICE"
            stream.codec_context.thread_count = 1
            size = interpolation = None
            for frame in source.decode(stream):
                if size is None:
                    size = scaled_size(frame.width, frame.height, task.short_side) if task.short_side else (
                        frame.width, frame.height)
                    interpolation = "AREA" if size[0] < frame.width else "BICUBIC"
                image = frame.reformat(width=size[0], height=size[1], format="rgb24",
                                       interpolation=interpolation).to_image()
                count += 1
                image.save(temporary / FRAME_TEMPLATE.format(count), quality=task.quality)
        if count == 0:
            raise DecodeError(task.source, "video stream has no frames")
        os.rename(temporary, target)
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(task.source, f"frame extraction failed ({type(exc).__name__}: {exc})") from None
    finally:
        if temporary.exists():
            import shutil

            shutil.rmtree(temporary, ignore_errors=True)
    return count
