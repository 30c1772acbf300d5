"""Checks and conversions every visualizer backend needs: scalars, RGB images, clips, frame grids."""

from __future__ import annotations

import math
from typing import Any


def scalar_value(value: Any, *, finite: bool = False) -> float | None:
    """`value` as a float, or None for what is not a number (strings, booleans, None).

    `finite=True` also maps NaN and infinity to None, for formats that cannot store them (JSON).
    """
    if value is None or isinstance(value, (bool, str)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if finite and not math.isfinite(number) else number


def as_rgb_array(data: Any, ndim: int, name: str) -> Any:
    """`data` (numpy array or tensor) as a uint8 numpy array: an HxWx3 image (`ndim=3`) or TxHxWx3 clip (`ndim=4`)."""
    import numpy as np

    array = np.asarray(data.detach().cpu() if hasattr(data, "detach") else data)
    if array.ndim != ndim or array.shape[-1] != 3 or array.dtype != np.uint8:
        expected = "HxWx3" if ndim == 3 else "TxHxWx3"
        raise ValueError(f"'{name}': expected a {expected} uint8 array, got shape {array.shape} {array.dtype}")
    return array


def frames_grid(frames: Any, columns: int = 8) -> Any:
    """A TxHxWx3 clip as one image: frames left to right, `columns` per row, black where the grid is short."""
    import numpy as np

    count, height, width, channels = frames.shape
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    grid = np.zeros((rows * height, columns * width, channels), dtype=frames.dtype)
    for index, frame in enumerate(frames):
        row, column = divmod(index, columns)
        grid[row * height:(row + 1) * height, column * width:(column + 1) * width] = frame
    return grid
