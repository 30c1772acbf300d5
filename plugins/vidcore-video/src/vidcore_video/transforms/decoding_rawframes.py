"""`RawFrameDecode`: read the sampled frames of a raw-frame folder (`img_00001.jpg`, ...) as one clip, or
of an optical-flow folder (`x_00001.jpg` + `y_00001.jpg`, ...) as one 2-channel clip.

JPEGs are decoded with TurboJPEG when PyTurboJPEG is installed (about twice as fast as Pillow), else with
Pillow; other formats use Pillow (or OpenCV with `decoding_backend='cv2'` when it is installed).
"""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np
from vidcore.errors import DataError
from vidcore.registry import check_by_constructing

from ..errors import DecodeError
from .clip import require
from .video_probe import describe_error

__all__ = ["RawFrameDecode"]

_BACKENDS = ("auto", "pillow", "turbojpeg", "cv2")


class RawFrameDecode:
    """Load `frame_dir/filename_tmpl.format(index + offset)` for each of `frame_inds` into `imgs`
    (N, H, W, 3) uint8 RGB. Each distinct index is read once, even when sampling repeats it.

    With `modality: Flow` in the results (RawframeDataset's `modality`), frame i is the greyscale pair
    `filename_tmpl.format('x', i)`, `filename_tmpl.format('y', i)`, stacked as `imgs` (N, H, W, 2)."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

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

    def _reader_for(self, path: str, gray: bool = False) -> Callable[[str], np.ndarray]:
        if self._readers is None:
            self._readers = _make_readers(self.decoding_backend)
        is_jpeg = path.lower().endswith((".jpg", ".jpeg"))
        return self._readers[("jpeg" if is_jpeg else "other") + ("_gray" if gray else "")]

    def __call__(self, results: dict) -> dict:
        frame_dir = results["frame_dir"]
        template = results.get("filename_tmpl", "img_{:05}.jpg")
        offset = int(results.get("offset", 0))
        modality = results.get("modality", "RGB")
        if modality not in ("RGB", "Flow"):
            raise DataError(f"RawFrameDecode: modality must be 'RGB' or 'Flow', got {modality!r}")
        inds = np.asarray(results["frame_inds"]).reshape(-1)
        unique, inverse = np.unique(inds, return_inverse=True)
        clip: np.ndarray | None = None
        for slot, index in enumerate(unique):
            try:
                if modality == "Flow":
                    path, frame = self._read_flow(frame_dir, template, int(index) + offset)
                else:
                    path = os.path.join(frame_dir, _frame_name(template, None, int(index) + offset))
                    frame = self._read(path)
            except FileNotFoundError as missing:
                listed = results.get("total_frames")
                raise DecodeError(str(missing.args[0]), "frame file not found" + (
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

    def _read_flow(self, frame_dir: str, template: str, index: int) -> tuple[str, np.ndarray]:
        """(x image's path, (H, W, 2) x/y flow) of frame `index`."""
        x_path, y_path = (os.path.join(frame_dir, _frame_name(template, direction, index)) for direction in "xy")
        x_flow, y_flow = self._read(x_path, gray=True), self._read(y_path, gray=True)
        if x_flow.shape != y_flow.shape:
            raise DecodeError(y_path, f"size {y_flow.shape[1]}x{y_flow.shape[0]} differs from its x flow image "
                                      f"({x_flow.shape[1]}x{x_flow.shape[0]})")
        return x_path, np.stack([x_flow, y_flow], axis=-1)

    def _read(self, path: str, gray: bool = False) -> np.ndarray:
        """The image at `path` as (H, W, 3) RGB, or (H, W) with `gray`; FileNotFoundError(path) when missing,
        DecodeError when unreadable."""
        try:
            frame = self._reader_for(path, gray)(path)
        except FileNotFoundError:
            raise FileNotFoundError(path) from None
        except DecodeError:
            raise
        except Exception as exc:
            raise DecodeError(path, f"not a readable image ({describe_error(exc)})") from None
        if gray:
            return frame.reshape(frame.shape[:2]) if frame.ndim == 3 and frame.shape[2] == 1 else frame
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise DecodeError(path, f"expected an RGB image, got shape {frame.shape}")
        return frame

    def __repr__(self) -> str:
        return f"RawFrameDecode(io_backend={self.io_backend!r}, decoding_backend={self.decoding_backend!r})"


def _frame_name(template: str, direction: str | None, index: int) -> str:
    """The file name of frame `index` (and flow `direction`), or a DataError saying how the template is wrong."""
    fields = (index,) if direction is None else (direction, index)
    try:
        return template.format(*fields)
    except (IndexError, KeyError, ValueError) as exc:
        expected = "'img_{:05}.jpg' (one frame index)" if direction is None else "'{}_{:05d}.jpg' (direction, index)"
        hint = "; for optical flow set modality: Flow on the dataset" if direction is None and "{}" in template else ""
        raise DataError(f"RawFrameDecode: filename_tmpl {template!r} does not format ({exc}); expected a template "
                        f"like {expected}{hint}") from None


def _make_readers(backend: str) -> dict[str, Callable[[str], np.ndarray]]:
    """{'jpeg', 'other', 'jpeg_gray', 'other_gray': reader} for the chosen backend, falling back to Pillow when
    unavailable. RGB readers return (H, W, 3) arrays, greyscale ones (H, W)."""
    readers = {"jpeg": _read_pillow, "other": _read_pillow, "jpeg_gray": _read_pillow_gray,
               "other_gray": _read_pillow_gray}
    if backend in ("auto", "turbojpeg"):
        turbo = _turbojpeg_reader()
        if turbo is not None:
            readers["jpeg"], readers["jpeg_gray"] = turbo
        elif backend == "turbojpeg":
            raise DecodeError("<RawFrameDecode>", "decoding_backend='turbojpeg' needs `pip install PyTurboJPEG`")
    elif backend == "cv2":
        try:
            import cv2
        except ImportError:
            return readers

        def read_cv2(path: str, flag: int = cv2.IMREAD_COLOR) -> np.ndarray:
            image = cv2.imread(path, flag)
            if image is None:
                if not os.path.exists(path):
                    raise FileNotFoundError(path)
                raise ValueError("OpenCV could not decode it")
            return image if flag == cv2.IMREAD_GRAYSCALE else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

        def read_cv2_gray(path: str) -> np.ndarray:
            return read_cv2(path, cv2.IMREAD_GRAYSCALE)

        readers = {"jpeg": read_cv2, "other": read_cv2, "jpeg_gray": read_cv2_gray, "other_gray": read_cv2_gray}
    return readers


def _read_pillow(path: str) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _read_pillow_gray(path: str) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("L"))


def _turbojpeg_reader() -> tuple[Callable[[str], np.ndarray], Callable[[str], np.ndarray]] | None:
    """(RGB reader, greyscale reader) decoding JPEGs with TurboJPEG, or None when it is unavailable."""
    try:
        from turbojpeg import TJPF_GRAY, TJPF_RGB, TurboJPEG
        decoder = TurboJPEG()
    except Exception:  # not installed, or the libturbojpeg shared library is missing
        return None

    def read_turbojpeg(path: str, pixel_format: int = TJPF_RGB) -> np.ndarray:
        with open(path, "rb") as file:
            return decoder.decode(file.read(), pixel_format=pixel_format)

    def read_turbojpeg_gray(path: str) -> np.ndarray:
        return read_turbojpeg(path, TJPF_GRAY)

    return read_turbojpeg, read_turbojpeg_gray
