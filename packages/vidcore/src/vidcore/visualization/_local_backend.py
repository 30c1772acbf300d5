"""`LocalVisBackend`: scalars as JSON lines, the config as YAML and images as PNG files under `save_dir`."""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path
from typing import Any, Mapping

from ._backend import POSITION_KEYS, BaseVisBackend
from ._media import as_rgb_array, scalar_value

SCALARS_FILE = "scalars.json"
MODES = ("train", "val", "test")


class LocalVisBackend(BaseVisBackend):
    """Writes `<save_dir>/scalars.json`, `<save_dir>/config.yaml` and `<save_dir>/vis_image/<name>_<step>.png`.

    Each `add_scalars` call is one JSON line. Keys `<mode>/<name>` (mode train, val or test) are written
    as `"mode": <mode>` plus `<name>`; `epoch` and `iter` come first, then `step` (docs/runner.md).
    Videos are saved as one PNG with the frames side by side.
    """

    def __init__(self, save_dir: str | None = None) -> None:
        super().__init__(save_dir)
        if save_dir is None:
            raise ValueError("LocalVisBackend needs 'save_dir' (the runner passes <log_dir>/vis_data)")
        self.directory = Path(save_dir)
        self.directory.mkdir(parents=True, exist_ok=True)

    def add_config(self, config: Mapping[str, Any]) -> None:
        from .._plain_data import to_plain
        from ..config import Config

        Config(to_plain(config)).dump(self.directory / "config.yaml")

    def add_scalars(self, scalars: Mapping[str, float], step: int) -> None:
        record = scalar_record(scalars, step)
        with open(self.directory / SCALARS_FILE, "a", encoding="utf-8") as file:
            file.write(json.dumps(record) + "\n")

    def add_image(self, name: str, image: Any, step: int = 0) -> None:
        write_png(self._image_path(name, step), as_rgb_array(image, 3, name))

    def add_video(self, name: str, frames: Any, step: int = 0, fps: int = 4) -> None:
        import numpy as np

        clip = as_rgb_array(frames, 4, name)
        write_png(self._image_path(name, step), np.concatenate(list(clip), axis=1))

    def _image_path(self, name: str, step: int) -> Path:
        folder = self.directory / "vis_image"
        folder.mkdir(exist_ok=True)
        safe_name = re.sub(r"[^\w.-]+", "_", name)
        return folder / f"{safe_name}_{step}.png"


def scalar_record(scalars: Mapping[str, Any], step: int) -> dict[str, Any]:
    """One JSON-lines record: `mode`, `epoch`, `iter`, `step`, then the values without their mode prefix."""
    record: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for key, value in scalars.items():
        number = scalar_value(value, finite=True)
        if key in POSITION_KEYS:
            record[key] = int(number) if number is not None else value
            continue
        mode, separator, name = key.partition("/")
        if separator and mode in MODES:
            record.setdefault("mode", mode)
            key = name
        values[key] = value if isinstance(value, str) else number
    ordered = {key: record[key] for key in ("mode", *POSITION_KEYS) if key in record}
    ordered["step"] = int(step)
    ordered.update(values)
    return ordered


def write_png(path: str | Path, image: Any) -> None:
    """Write an HxWx3 uint8 RGB array as a PNG (zlib only, no imaging library needed)."""
    height, width, _ = image.shape
    rows = b"".join(b"\x00" + image[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")
    Path(path).write_bytes(png)
