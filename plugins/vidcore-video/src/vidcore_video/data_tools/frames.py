"""`vidcore data extract-frames`: a video's frames as JPEG files `img_00001.jpg`, ... in one folder (mmaction2's
raw-frame layout, read by `RawframeDataset`), written into a temporary folder renamed into place when complete."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .outputs import remove_leftovers, temporary_path
from .source_frames import failures_of, scaled_frames

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
    from .check import check_video

    check_video((task.source, False))
    target = Path(task.target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target)
    temporary = temporary_path(target)
    count = 0
    try:
        with failures_of(task.source, "frame extraction"):
            temporary.mkdir()
            for frame, _ in scaled_frames(task.source, task.short_side, "rgb24", even=False):
                count += 1
                frame.to_image().save(temporary / FRAME_TEMPLATE.format(count), quality=task.quality)
            os.rename(temporary, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return count
