"""Reading a source video for `prepare` and `extract-frames`: every frame in order, scaled to a short side,
with failures reported as the source's DecodeError."""

from __future__ import annotations

import math
from contextlib import contextmanager
from fractions import Fraction
from typing import Any, Iterator

from ..errors import DecodeError
from ..transforms.resize import rescaled_size

__all__ = ["scaled_size", "scaled_frames", "failures_of"]


def scaled_size(width: int, height: int, short_side: int, even: bool = True) -> tuple[int, int]:
    """(width, height) with the shorter side `short_side` (0: unchanged) and the aspect ratio kept, rounded as
    `Resize(scale=(-1, short_side))` rounds; with `even`, to even numbers (yuv420p needs them)."""
    step = 2 if even else 1
    if short_side:  # sizes in units of `step`, scaled by the same factor, then back to pixels
        half_height, half_width = rescaled_size(height / step, width / step, (math.inf, short_side / step))
    else:
        half_height, half_width = int(height / step + 0.5), int(width / step + 0.5)
    return max(1, half_width) * step, max(1, half_height) * step


def scaled_frames(path: str, short_side: int, pix_fmt: str, even: bool = True) -> Iterator[tuple[Any, Fraction]]:
    """(frame, frame rate) for every frame of `path`'s first video stream, in presentation order, scaled by
    `scaled_size` (area averaging when shrinking, bicubic when enlarging) and converted to `pix_fmt`. One
    decoding thread: the commands run one file per worker process. DecodeError when there is no frame."""
    import av

    with av.open(path, metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        stream.thread_type = "SLICE"
        stream.codec_context.thread_count = 1
        rate = Fraction(stream.average_rate or stream.guessed_rate or 25)
        size = interpolation = None
        for frame in container.decode(stream):
            if size is None:
                size = scaled_size(frame.width, frame.height, short_side, even)
                interpolation = "AREA" if size[0] < frame.width else "BICUBIC"
            yield frame.reformat(width=size[0], height=size[1], format=pix_fmt, interpolation=interpolation), rate
        if size is None:
            raise DecodeError(path, "video stream has no frames")


@contextmanager
def failures_of(source: str, action: str) -> Iterator[None]:
    """Turn any failure inside the block into a DecodeError naming `source` and `action`."""
    try:
        yield
    except DecodeError:
        raise
    except Exception as exc:  # PyAV, Pillow and OS errors alike: the file failed, the run goes on
        raise DecodeError(source, f"{action} failed ({type(exc).__name__}: {exc})") from None
