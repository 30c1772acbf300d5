"""decord decoding: `DecordInit` opens a video, `DecordDecode` returns the requested frames.

decord 0.6.0 hangs or crashes on some bad files and leaks memory in `get_batch`; so every file is first
probed with PyAV (`video_probe.probe_video`, once per file and process), the reader is rewound with
`seek(0)` right after `get_batch` (the workaround from dmlc/decord#197 and #208: it stops the reader's
prefetching from holding decoded frames) and dropped as soon as the frames are out. The EOF retry loop
that makes decord spin on truncated files is capped through DECORD_EOF_RETRY_MAX (unless already set).
"""

from __future__ import annotations

import logging
import os

import numpy as np
from vidcore.registry import check_by_constructing

from ..errors import DecodeError
from .clip import require
from .video_probe import check_file, describe_error, probe_video

__all__ = ["DecordInit", "DecordDecode"]

os.environ.setdefault("DECORD_EOF_RETRY_MAX", "1024")

logger = logging.getLogger("vidcore.video")
_FELL_BACK: set[str] = set()  # files already reported as decoded by PyAV instead of decord

_MODES = ("accurate", "efficient")


class DecordInit:
    """Open `results['filename']` with decord; sets `video_reader`, `total_frames` and `avg_fps`.

    `validate` probes the file with PyAV first (cheap, once per file) so that unreadable files raise a
    DecodeError naming them instead of reaching decord.
    """

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, io_backend: str = "disk", num_threads: int = 1, validate: bool = True) -> None:
        require(io_backend == "disk", f"DecordInit: io_backend must be 'disk', got {io_backend!r}")
        require(num_threads >= 0, f"DecordInit: num_threads must be >= 0, got {num_threads}")
        self.io_backend = io_backend
        self.num_threads = num_threads
        self.validate = validate

    def __call__(self, results: dict) -> dict:
        path = results["filename"]
        if self.validate:
            probe_video(path)
        else:
            check_file(path)
        import decord

        try:
            reader = decord.VideoReader(path, num_threads=self.num_threads)
        except Exception as exc:
            raise DecodeError(path, f"decord cannot open it ({describe_error(exc)})") from None
        total = len(reader)
        if total == 0:
            del reader
            raise DecodeError(path, "video stream has no frames")
        results["video_reader"] = reader
        results["total_frames"] = total
        results["avg_fps"] = float(reader.get_avg_fps())
        return results

    def __repr__(self) -> str:
        return f"DecordInit(io_backend={self.io_backend!r}, num_threads={self.num_threads}, validate={self.validate})"


class DecordDecode:
    """Decode `results['frame_inds']` from `results['video_reader']` into `imgs` (N, H, W, 3) uint8 RGB, in
    the requested order. 'accurate' reads exact frames; 'efficient' seeks and returns a nearby keyframe.

    decord 0.6.0 cannot convert frames of some widths (16, 24, 48, 72, ...: "The size must exactly
    match"); with `fallback_to_pyav` such a file is decoded by PyAV instead (the same frames, see
    `decoding_pyav`), with one warning per file.
    """

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, mode: str = "accurate", fallback_to_pyav: bool = True) -> None:
        require(mode in _MODES, f"DecordDecode: mode must be one of {_MODES}, got {mode!r}")
        self.mode = mode
        self.fallback_to_pyav = fallback_to_pyav

    def __call__(self, results: dict) -> dict:
        reader = results["video_reader"]
        results["video_reader"] = None
        path = results.get("filename", "<video>")
        inds = np.asarray(results["frame_inds"]).reshape(-1)
        unique, inverse = np.unique(inds, return_inverse=True)
        try:
            if inds.size and (inds.min() < 0 or inds.max() >= len(reader)):
                raise DecodeError(path, f"frame index out of range [0, {len(reader)}): "
                                        f"{int(inds.min())}..{int(inds.max())}")
            if self.mode == "accurate":
                frames = reader.get_batch(unique.tolist()).asnumpy()
            else:
                frames = np.stack([_keyframe_at(reader, int(index)) for index in unique])
            reader.seek(0)
        except DecodeError:
            raise
        except Exception as exc:
            reason = f"decord failed ({describe_error(exc)})"
            if not self.fallback_to_pyav:
                raise DecodeError(path, reason) from None
            frames = _decode_with_pyav(path, unique, self.mode, reason)
        finally:
            del reader
        sorted_unique = len(unique) == len(inds) and np.array_equal(unique, inds)
        results["imgs"] = frames if sorted_unique else frames[inverse]
        results["original_shape"] = frames.shape[1:3]
        results["img_shape"] = frames.shape[1:3]
        return results

    def __repr__(self) -> str:
        return f"DecordDecode(mode={self.mode!r}, fallback_to_pyav={self.fallback_to_pyav})"


def _decode_with_pyav(path: str, unique: np.ndarray, mode: str, reason: str) -> np.ndarray:
    from .decoding_pyav import PyAVVideo, assemble_clip

    if path not in _FELL_BACK:
        _FELL_BACK.add(path)
        logger.warning("%s: %s; decoding this file with PyAV instead", path, reason)
    video = PyAVVideo(path)
    try:
        frames = video.read_accurate(unique) if mode == "accurate" else video.read_keyframes(unique)
        return assemble_clip(video, unique, frames, np.arange(len(unique)))
    finally:
        video.close()


def _keyframe_at(reader: object, index: int) -> np.ndarray:
    reader.seek(index)  # type: ignore[attr-defined]
    return reader.next().asnumpy()  # type: ignore[attr-defined]
