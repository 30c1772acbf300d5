"""PyAV decoding: `PyAVInit` opens and indexes a video, `PyAVDecode` returns the requested frames.

The index is built from the demuxed packets (no decoding), so `total_frames` counts the frames that are
really in the file — as decord counts them — rather than trusting the header. 'accurate' mode decodes
forward over the sorted unique indices once: each GOP holding a requested frame is decoded from its
keyframe up to that frame, GOPs with nothing requested are skipped, frames no other frame refers to are
not decoded unless requested, and only requested frames are converted to RGB — the result equals plain
sequential decoding. 'efficient' mode returns, for each index, the keyframe starting its GOP (fast,
approximate).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np
from vidcore.registry import check_by_constructing

from ..errors import DecodeError
from .clip import require
from .video_probe import check_file, describe_error, read_packets

__all__ = ["PyAVInit", "PyAVDecode", "PyAVVideo", "assemble_clip"]

_MODES = ("accurate", "efficient")


_LOCAL = threading.local()  # one reformatter per thread: swscale contexts are not thread-safe
_INHERITED: list[Any] = []  # reformatters a forked child inherited: never used again, never freed (both hang)


def _to_rgb(frame: Any) -> np.ndarray:
    """The frame as (H, W, 3) uint8 RGB. Reusing one reformatter keeps its swscale context between frames
    (`frame.to_ndarray` builds a new one for every frame: ~6x slower, same pixels). A context made before a
    fork (DataLoader workers) deadlocks in the child, so each process makes its own."""
    cached = getattr(_LOCAL, "reformatter", None)
    if cached is None or cached[0] != os.getpid():
        from av.video.reformatter import VideoReformatter

        if cached is not None:
            _INHERITED.append(cached)
        cached = _LOCAL.reformatter = (os.getpid(), VideoReformatter())
    return cached[1].reformat(frame, format="rgb24").to_ndarray()


class _NotAKeyframe(Exception):
    """Decoding from a packet flagged as a keyframe did not start with a keyframe."""


class PyAVVideo:
    """An open video file: its first video stream, its packets in decode order and a frame index.

    Frame `i` is the i-th frame in presentation order. `close()` releases the container.
    """

    def __init__(self, path: str, num_threads: int = 1) -> None:
        import av

        check_file(path)
        self.path = path
        try:
            # Opening probes the streams, which by default decodes the first frame (up to 13 ms at 480p, more
            # than the index itself); the decoder needs nothing from that probe, so it skips the decoding.
            self.container = av.open(path, metadata_errors="ignore", options={"skip_frame": "nonkey"})
        except Exception as exc:
            raise DecodeError(path, f"not a readable video ({describe_error(exc)})") from None
        try:
            if not self.container.streams.video:
                raise DecodeError(path, "no video stream (audio-only or not a video file)")
            self.stream = self.container.streams.video[0]
            self.stream.thread_type = "AUTO" if num_threads != 1 else "SLICE"
            self.stream.codec_context.thread_count = max(0, num_threads)
            self._index_packets()
        except BaseException:
            self.close()
            raise

    def _index_packets(self) -> None:
        packets = read_packets(self.path, self.container, self.stream)
        self.packets = packets
        timestamps = [p.pts if p.pts is not None else p.dts for p in packets]
        self.packet_timestamps = timestamps
        # Presentation order needs distinct timestamps; without them fall back to decode order + sequential decode.
        self.seekable = None not in timestamps and len(set(timestamps)) == len(timestamps)
        if self.seekable:
            self.frame_pts = sorted(timestamps)
        else:
            self.frame_pts = list(range(len(packets)))
        gop_starts = [i for i, p in enumerate(packets) if p.is_keyframe]
        if not gop_starts or gop_starts[0] != 0:
            gop_starts.insert(0, 0)
        self.gop_starts = gop_starts  # decode-order positions where a GOP begins
        gop_of_packet = np.searchsorted(np.asarray(gop_starts), np.arange(len(packets)), side="right") - 1
        if self.seekable:
            packet_of_pts = {ts: i for i, ts in enumerate(timestamps)}
            self.packet_of_frame = np.array([packet_of_pts[ts] for ts in self.frame_pts])
        else:
            self.packet_of_frame = np.arange(len(packets))
        self.gop_of_frame = gop_of_packet[self.packet_of_frame] if self.seekable else np.zeros(len(packets), int)

    @property
    def total_frames(self) -> int:
        return len(self.packets)

    @property
    def avg_fps(self) -> float | None:
        rate = self.stream.average_rate or self.stream.guessed_rate
        return float(rate) if rate else None

    # --- decoding -----------------------------------------------------------------------------------
    def _decode_packets(self, start: int, stop: int, wanted: dict[Any, int], out: list[np.ndarray | None],
                        by_order: bool) -> None:
        """Feed packets[start:stop] to a flushed decoder, then drain it, storing the frames `wanted` maps to a
        slot (matched by pts, or by output position when `by_order`). Stops early once every slot is filled.

        Starting mid-stream, the first frame out must be a keyframe, else `_NotAKeyframe` (some containers
        flag packets as keyframes that are not).
        """
        codec = self.stream.codec_context
        codec.flush_buffers()
        missing = sum(1 for slot in wanted.values() if out[slot] is None)
        position = 0
        # Frames no other frame refers to (most B-frames) are not decoded unless requested: same output, less
        # work. Decided per packet, so only without frame threading (where decoding happens at send time).
        skip_unwanted = not by_order and codec.thread_count == 1

        def keep(frames: Any) -> int:
            nonlocal position, missing
            for frame in frames:
                if position == 0 and start > 0 and not frame.key_frame:
                    raise _NotAKeyframe
                slot = wanted.get(position if by_order else frame.pts)
                position += 1
                if slot is not None and out[slot] is None:
                    out[slot] = _to_rgb(frame)
                    missing -= 1
            return missing

        try:
            for index in range(start, stop):
                if skip_unwanted:
                    codec.skip_frame = "DEFAULT" if self.packet_timestamps[index] in wanted else "NONREF"
                if keep(codec.decode(self.packets[index])) == 0:
                    return
            codec.skip_frame = "DEFAULT"
            keep(codec.decode(None))  # drain: frames held back for reordering come out without more packets
        except _NotAKeyframe:
            raise
        except Exception as exc:
            if all(frame is None for frame in out):
                raise DecodeError(self.path, f"decoding failed ({describe_error(exc)})") from None
            # Damaged data after some good frames: keep what was decoded; `assemble_clip` names the rest.
        finally:
            codec.skip_frame = "DEFAULT"

    def _gop_end(self, gop: int) -> int:
        return self.gop_starts[gop + 1] if gop + 1 < len(self.gop_starts) else len(self.packets)

    def read_accurate(self, unique: np.ndarray) -> list[np.ndarray | None]:
        """Frames for sorted unique indices, decoded forward once; None where a frame does not decode.

        Each GOP holding a requested frame is decoded from its keyframe up to the packet of its last requested
        frame; other GOPs are skipped. If frames are missing (an open GOP refers to the previous one, or a
        keyframe flag lied), those GOPs are decoded again from the previous keyframe, then from the start.
        """
        out: list[np.ndarray | None] = [None] * len(unique)
        if not self.seekable:
            self._decode_packets(0, len(self.packets), {int(i): slot for slot, i in enumerate(unique)}, out,
                                 by_order=True)
            return out
        wanted = {self.frame_pts[int(i)]: slot for slot, i in enumerate(unique)}
        needed_until: dict[int, int] = {}  # GOP -> decode-order position just past its last requested packet
        for index in unique.tolist():
            gop = int(self.gop_of_frame[index])
            needed_until[gop] = max(needed_until.get(gop, 0), int(self.packet_of_frame[index]) + 1)
        try:
            for gop, stop in sorted(needed_until.items()):
                self._decode_packets(self.gop_starts[gop], stop, wanted, out, by_order=False)
        except _NotAKeyframe:
            out = [None] * len(unique)
        for first_gop in ("previous", "start"):
            missing = {pts: slot for pts, slot in wanted.items() if out[slot] is None}
            if not missing:
                break
            gops = sorted({int(self.gop_of_frame[int(unique[slot])]) for slot in missing.values()})
            try:
                if first_gop == "previous" and gops[0] > 0:
                    for gop in gops:
                        self._decode_packets(self.gop_starts[gop - 1] if gop else 0, needed_until[gop], missing,
                                             out, by_order=False)
                elif first_gop == "start":
                    self._decode_packets(0, max(needed_until.values()), missing, out, by_order=False)
            except _NotAKeyframe:
                continue
        return out

    def read_keyframes(self, unique: np.ndarray) -> list[np.ndarray | None]:
        """For each index, the keyframe that starts its GOP, decoded alone ('efficient' mode)."""
        out: list[np.ndarray | None] = [None] * len(unique)
        by_gop: dict[int, np.ndarray | None] = {}
        for slot, index in enumerate(unique):
            gop = int(self.gop_of_frame[int(index)])
            if gop not in by_gop:
                start = self.gop_starts[gop]
                first: list[np.ndarray | None] = [None]
                try:
                    self._decode_packets(start, self._gop_end(gop), {0: 0}, first, by_order=True)
                except _NotAKeyframe:  # a false keyframe flag: decode from the start up to that frame
                    frame_index = self.frame_pts.index(self.packet_timestamps[start]) if self.seekable else start
                    self._decode_packets(0, self._gop_end(gop), {frame_index: 0}, first, by_order=True)
                by_gop[gop] = first[0]
            out[slot] = by_gop[gop]
        return out

    def close(self) -> None:
        container = getattr(self, "container", None)
        if container is not None:
            container.close()
            self.container = None
        self.packets = []


class PyAVInit:
    """Open `results['filename']` with PyAV; sets `video_reader`, `total_frames` and `avg_fps`."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, io_backend: str = "disk", num_threads: int = 1) -> None:
        require(io_backend == "disk", f"PyAVInit: io_backend must be 'disk', got {io_backend!r}")
        self.io_backend = io_backend
        self.num_threads = num_threads

    def __call__(self, results: dict) -> dict:
        video = PyAVVideo(results["filename"], num_threads=self.num_threads)
        results["video_reader"] = video
        results["total_frames"] = video.total_frames
        results["avg_fps"] = video.avg_fps
        return results

    def __repr__(self) -> str:
        return f"PyAVInit(io_backend={self.io_backend!r}, num_threads={self.num_threads})"


class PyAVDecode:
    """Decode `results['frame_inds']` from `results['video_reader']` into `imgs` (N, H, W, 3) uint8 RGB,
    in the requested order; then closes the reader. `multi_thread` enables FFmpeg frame threading."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, multi_thread: bool = False, mode: str = "accurate") -> None:
        require(mode in _MODES, f"PyAVDecode: mode must be one of {_MODES}, got {mode!r}")
        self.multi_thread = multi_thread
        self.mode = mode

    def __call__(self, results: dict) -> dict:
        video: PyAVVideo = results["video_reader"]
        results["video_reader"] = None
        try:
            inds = np.asarray(results["frame_inds"]).reshape(-1)
            if self.multi_thread:
                video.stream.thread_type = "AUTO"
                video.stream.codec_context.thread_count = 0
            if inds.size and (inds.min() < 0 or inds.max() >= video.total_frames):
                raise DecodeError(video.path, f"frame index out of range [0, {video.total_frames}): "
                                              f"{int(inds.min())}..{int(inds.max())}")
            unique, inverse = np.unique(inds, return_inverse=True)
            frames = video.read_accurate(unique) if self.mode == "accurate" else video.read_keyframes(unique)
            results["imgs"] = assemble_clip(video, unique, frames, inverse)
        finally:
            video.close()
        results["original_shape"] = results["imgs"].shape[1:3]
        results["img_shape"] = results["imgs"].shape[1:3]
        return results

    def __repr__(self) -> str:
        return f"PyAVDecode(multi_thread={self.multi_thread}, mode={self.mode!r})"


def assemble_clip(video: PyAVVideo, unique: np.ndarray, frames: list[np.ndarray | None],
                  inverse: np.ndarray) -> np.ndarray:
    """One (N, H, W, 3) array in request order from the frames decoded for the sorted `unique` indices.

    A frame that did not decode is a DecodeError naming it: repeating a neighbour instead would train on
    wrong frames without a word (`on_decode_error` decides what happens to the sample)."""
    missing = [int(unique[slot]) for slot, frame in enumerate(frames) if frame is None]
    if missing:
        shown = ", ".join(str(index) for index in missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise DecodeError(video.path, f"{len(missing)} of {len(frames)} requested frames do not decode (frame "
                                      f"{shown} of {video.total_frames}): the file is damaged")
    clip = np.stack(frames)
    return clip if len(inverse) == len(frames) and np.array_equal(inverse, np.arange(len(frames))) else clip[inverse]
