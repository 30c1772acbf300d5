"""`RawFrameDecode`: read the sampled frames of a raw-frame folder (`img_00001.jpg`, ...) as one clip.

JPEGs are decoded with TurboJPEG when PyTurboJPEG is installed (about twice as fast as Pillow), else with
Pillow; other formats use Pillow (or OpenCV with `decoding_backend='cv2'` when it is installed).
"""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from ..errors import DecodeError
from .clip import require
from .video_probe import describe_error

__all__ = ["RawFrameDecode"]

_BACKENDS = ("auto", "pillow", "turbojpeg", "cv2")


class RawFrameDecode:
    """Load `frame_dir/filename_tmpl.format(index + offset)` for each of `frame_inds` into `imgs`
    (N, H, W, 3) uint8 RGB. Each distinct index is read once, even when sampling repeats it."""

    def __init__(self, io_backend: str = "disk", decoding_backend: str = "auto") -> None:
        require(io_backend == "disk", f"RawFrameDecode: io_backend must be 'disk', got {io_backend!r}")
        require(decoding_backend in _BACKENDS,
                f"RawFrameDecode: decoding_backend must be one of {_BACKENDS}, got {decoding_backend!r}")
        self.io_backend = io_backend
        self.decoding_backend = decoding_backend
        self._readers: dict[str, Callable[[str], np.ndarray]] | None = None

    def __getstate__(self) -> dict[str, Any]:  # decoder handles are rebuilt in each worker process
        state = dict(self.__dict__)
        state["_readers"] = None
        return state

    def _reader_for(self, path: str) -> Callable[[str], np.ndarray]:
        if self._readers is None:
            self._readers = _make_readers(self.decoding_backend)
        is_jpeg = path.lower().endswith((".jpg", ".jpeg"))
        return self._readers["jpeg" if is_jpeg else "other"]

    def __call__(self, results: dict) -> dict:
        frame_dir = results["frame_dir"]
        template = results.get("filename_tmpl", "img_{:05}.jpg")
        offset = int(results.get("offset", 0))
        inds = np.asarray(results["frame_inds"]).reshape(-1)
        unique, inverse = np.unique(inds, return_inverse=True)
        clip: np.ndarray | None = None
        for slot, index in enumerate(unique):
            path = os.path.join(frame_dir, template.format(int(index) + offset))
            try:
                frame = self._read(path)
            except FileNotFoundError:
                listed = results.get("total_frames")
                raise DecodeError(path, "frame file not found" + (
                    f" (frame {int(index)} of the {listed} its annotation lists for {frame_dir})" if listed else "")
                ) from None
            if clip is None:
                clip = np.empty((len(unique),) + frame.shape, dtype=np.uint8)
            elif frame.shape != clip.shape[1:]:
                raise DecodeError(path, f"frame size {frame.shape[1]}x{frame.shape[0]} differs from the folder's "
                                        f"first sampled frame ({clip.shape[2]}x{clip.shape[1]})")
            clip[slot] = frame
        if clip is None:
            raise DecodeError(frame_dir, "no frame indices to read")
        sorted_unique = len(unique) == len(inds) and np.array_equal(unique, inds)
        results["imgs"] = clip if sorted_unique else clip[inverse]
        results["original_shape"] = clip.shape[1:3]
        results["img_shape"] = clip.shape[1:3]
        return results

    def _read(self, path: str) -> np.ndarray:
        """The image at `path` as (H, W, 3) RGB; FileNotFoundError when missing, DecodeError when unreadable."""
        try:
            frame = self._reader_for(path)(path)
        except (FileNotFoundError, DecodeError):
            raise
        except Exception as exc:
            raise DecodeError(path, f"not a readable image ({describe_error(exc)})") from None
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise DecodeError(path, f"expected an RGB image, got shape {frame.shape}")
        return frame

    def __repr__(self) -> str:
        return f"RawFrameDecode(io_backend={self.io_backend!r}, decoding_backend={self.decoding_backend!r})"


def _make_readers(backend: str) -> dict[str, Callable[[str], np.ndarray]]:
    """{'jpeg': reader, 'other': reader} for the chosen backend, falling back to Pillow when unavailable."""
    readers = {"jpeg": _read_pillow, "other": _read_pillow}
    if backend in ("auto", "turbojpeg"):
        turbo = _turbojpeg_reader()
        if turbo is not None:
            readers["jpeg"] = turbo
        elif backend == "turbojpeg":
            raise DecodeError("<RawFrameDecode>", "decoding_backend='turbojpeg' needs `pip install PyTurboJPEG`")
    elif backend == "cv2":
        try:
            import cv2
        except ImportError:
            return readers

        def read_cv2(path: str) -> np.ndarray:
            image = cv2.imread(path, cv2.IMREAD_COLOR)
            if image is None:
                if not os.path.exists(path):
                    raise FileNotFoundError(path)
                raise ValueError("OpenCV could not decode it")
            return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

        readers = {"jpeg": read_cv2, "other": read_cv2}
    return readers


def _read_pillow(path: str) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _turbojpeg_reader() -> Callable[[str], np.ndarray] | None:
    try:
        from turbojpeg import TJPF_RGB, TurboJPEG
        decoder = TurboJPEG()
    except Exception:  # not installed, or the libturbojpeg shared library is missing
        return None

    def read_turbojpeg(path: str) -> np.ndarray:
        with open(path, "rb") as file:
            return decoder.decode(file.read(), pixel_format=TJPF_RGB)

    return read_turbojpeg
