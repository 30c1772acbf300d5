"""Encode a tiny real video, so decoder and dataset tests need no fixture files (with vidcore-video's encoder,
the one PyAV encoder of the project: install `vidcore-testing[video]`)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["encode_video"]


def encode_video(
    path: str | Path,
    *,
    num_frames: int = 8,
    height: int = 32,
    width: int = 32,
    fps: int = 8,
    codec: str = "mpeg4",
) -> Path:
    """Write `num_frames` RGB frames (a gradient that shifts each frame, so frames differ) and return the path.

    `mpeg4` ships with every PyAV wheel and suits .mp4/.avi/.mkv; height and width must be even (yuv420p).
    Raises ImportError when vidcore-video (and so PyAV) is not installed (the `make_video` fixture skips instead).
    """
    import numpy as np
    from vidcore.registry import install_command

    try:
        from vidcore_video import VideoWriter
    except ImportError as exc:
        raise ImportError(f"encode_video writes with vidcore-video's VideoWriter: {install_command('vidcore-video')}") \
            from exc

    if height % 2 or width % 2:
        raise ValueError(f"encode_video: height and width must be even for yuv420p, got {height}x{width}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = np.arange(height, dtype=np.uint16)[:, None]
    columns = np.arange(width, dtype=np.uint16)[None, :]
    with VideoWriter(str(path), width, height, fps, codec=codec) as writer:
        for index in range(num_frames):
            red = (rows * 8 + index * 16) % 256
            green = (columns * 8 + index * 16) % 256
            blue = np.full((height, width), index * 255 // max(num_frames - 1, 1), dtype=np.uint16)
            writer.write(np.stack(np.broadcast_arrays(red, green, blue), axis=-1).astype(np.uint8))
    return path
