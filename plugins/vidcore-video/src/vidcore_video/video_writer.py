"""`VideoWriter`: encode frames to a video file with PyAV; the one encoder of vidcore-video (synthetic
datasets, `vidcore data prepare`)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

__all__ = ["VideoWriter"]


class VideoWriter:
    """Write frames (PyAV `VideoFrame`s or (H, W, 3) uint8 RGB arrays) to `path`, frame i at time i / rate.

    `gop` is the encoder's keyframe interval (its maximum; with `exact_gop` libx264 places a keyframe every
    `gop` frames and nowhere else); `options` are the encoder's own (e.g. `{"crf": "23", "preset":
    "veryfast"}`); `container_format` names the muxer when the file name does not (a temporary name).
    Single-threaded unless `options` say otherwise, so the output is reproducible. Use as a context manager,
    or call `close()`: it flushes the encoder.
    """

    def __init__(self, path: str, width: int, height: int, rate: int | float | Fraction, codec: str = "libx264",
                 pix_fmt: str = "yuv420p", gop: int | None = None, options: dict[str, str] | None = None,
                 container_format: str | None = None, exact_gop: bool = False) -> None:
        import av

        options = {"threads": "1", **(options or {})}
        if exact_gop and gop is not None and codec == "libx264":
            options["x264-params"] = f"keyint={gop}:min-keyint={gop}:scenecut=0"
        self.path = path
        self.rate = Fraction(rate).limit_denominator(1_000_000)
        self.container = av.open(path, "w", format=container_format)
        try:
            self.stream = self.container.add_stream(codec, rate=self.rate, options=options)
            self.stream.width, self.stream.height, self.stream.pix_fmt = width, height, pix_fmt
            if gop is not None:
                self.stream.codec_context.gop_size = gop
        except BaseException:
            self.container.close()
            raise
        self.frames_written = 0

    @property
    def codec_context(self) -> Any:
        return self.stream.codec_context

    def write(self, frame: Any) -> None:
        """Encode one frame: a `VideoFrame` (converted to the stream's size and pixel format if it differs)
        or an RGB uint8 array."""
        import av
        from av.video.frame import PictureType

        if not isinstance(frame, av.VideoFrame):
            frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
        stream = self.stream
        if (frame.width, frame.height, frame.format.name) != (stream.width, stream.height, stream.pix_fmt):
            frame = frame.reformat(width=stream.width, height=stream.height, format=stream.pix_fmt)
        frame.pts = self.frames_written
        frame.pict_type = PictureType.NONE  # a decoded frame keeps its source's type, which the encoder obeys
        frame.time_base = 1 / self.rate
        for packet in stream.encode(frame):
            self.container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder and close the file (idempotent)."""
        if self.container is None:
            return
        try:
            for packet in self.stream.encode():
                self.container.mux(packet)
        finally:
            self.container.close()
            self.container = None

    def abort(self) -> None:
        """Close the file without flushing (after an error; the caller removes it)."""
        if self.container is not None:
            self.container.close()
            self.container = None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
