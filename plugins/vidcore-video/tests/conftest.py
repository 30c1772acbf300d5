"""Media for the tests, written once per session: small videos in several codecs/containers whose frame i
has grey level `level(i)` (so a decoded frame tells its index), bad files, and raw-frame folders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest


def level(index: int) -> int:
    """Grey level of frame `index` in the indexed test videos."""
    return 20 + 9 * index


def index_of(frame: np.ndarray) -> int:
    """The frame index encoded in a decoded frame's mean grey level."""
    return int(round((float(frame.mean()) - 20) / 9))


def indexed_frames(count: int, height: int, width: int) -> np.ndarray:
    """Frames whose index is readable from their mean level, with a colour ramp so they are not flat."""
    frames = np.empty((count, height, width, 3), dtype=np.uint8)
    ramp = (np.arange(width)[None, :] * 3 + np.arange(height)[:, None] * 2) % 24 - 12  # mean ~0
    for i in range(count):
        frames[i] = np.clip(level(i) + ramp, 0, 255)[..., None]
    frames[..., 0] = np.clip(frames[..., 0].astype(int) + 6, 0, 255)  # a tint keeps chroma non-trivial
    frames[..., 2] = np.clip(frames[..., 2].astype(int) - 6, 0, 255)
    return frames


def write_video(path: Path, frames: np.ndarray, codec: str, fps: int = 25, gop: int = 6,
                pix_fmt: str = "yuv420p", b_frames: int | None = None) -> Path:
    import av

    options = {"threads": "1"}
    if codec == "libx264":
        options.update(crf="10", preset="veryfast")
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps, options=options)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], pix_fmt
        stream.codec_context.gop_size = gop
        if codec == "mpeg4":
            stream.codec_context.bit_rate = 4_000_000
        if b_frames is not None:
            stream.codec_context.max_b_frames = b_frames
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@dataclass(frozen=True)
class Video:
    path: str
    num_frames: int
    width: int
    height: int


# name: (codec, file suffix, frames, width, height, options)
VIDEO_SPECS = {
    "h264_mp4": ("libx264", ".mp4", 24, 64, 48, {"gop": 5}),
    "h264_bframes_mkv": ("libx264", ".mkv", 20, 70, 38, {"gop": 7, "b_frames": 2}),
    "h264_one_gop_mp4": ("libx264", ".mp4", 16, 40, 32, {"gop": 250}),
    "mpeg4_avi": ("mpeg4", ".avi", 18, 66, 50, {"gop": 4}),
    "mpeg4_bframes_avi": ("mpeg4", ".avi", 14, 40, 32, {"gop": 6, "b_frames": 2}),
    "vp9_webm": ("libvpx-vp9", ".webm", 10, 56, 32, {"gop": 4}),
    "mjpeg_mkv": ("mjpeg", ".mkv", 12, 33, 26, {"pix_fmt": "yuvj420p"}),
    "h264_444_odd_mp4": ("libx264", ".mp4", 8, 33, 25, {"pix_fmt": "yuv444p", "gop": 3}),
    "short_mp4": ("libx264", ".mp4", 3, 32, 32, {}),
}


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Video]:
    folder = tmp_path_factory.mktemp("videos")
    made = {}
    for name, (codec, suffix, count, width, height, options) in VIDEO_SPECS.items():
        path = write_video(folder / f"{name}{suffix}", indexed_frames(count, height, width), codec, **options)
        made[name] = Video(str(path), count, width, height)
    return made


@pytest.fixture(scope="session")
def bad_files(tmp_path_factory: pytest.TempPathFactory, videos: dict[str, Video]) -> dict[str, str]:
    """Files no decoder can use: empty, truncated, not a video, a video stream with no frames, missing."""
    import av

    folder = tmp_path_factory.mktemp("bad")
    files = {}
    (folder / "empty.mp4").write_bytes(b"")
    files["empty"] = str(folder / "empty.mp4")
    data = Path(videos["h264_mp4"].path).read_bytes()
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 2])
    files["truncated"] = str(folder / "truncated.mp4")
    (folder / "text.mp4").write_text("this is not a video\n" * 50)
    files["not_a_video"] = str(folder / "text.mp4")
    with av.open(str(folder / "no_frames.mp4"), "w") as container:  # a video track without a single frame
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        container.start_encoding()
    files["zero_frames"] = str(folder / "no_frames.mp4")
    files["missing"] = str(folder / "does_not_exist.mp4")
    return files


@pytest.fixture(scope="session")
def frame_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int]:
    """A raw-frame folder img_00001.png ... (lossless, 1-based) of indexed frames, and its frame count."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("rawframes") / "clip_a"
    folder.mkdir()
    frames = indexed_frames(10, 24, 30)
    for i, frame in enumerate(frames, start=1):
        Image.fromarray(frame).save(folder / f"img_{i:05}.png")
    return str(folder), len(frames)


@pytest.fixture(scope="session")
def media():
    """The helpers above, for tests (conftest modules are not importable under --import-mode=importlib)."""
    from types import SimpleNamespace

    return SimpleNamespace(level=level, index_of=index_of, indexed_frames=indexed_frames, write_video=write_video)
