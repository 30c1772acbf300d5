"""Helpers shared by the spatial transforms: the clip array and argument checks."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from vidcore.errors import ConfigError, DataError

__all__ = ["ArgumentMismatch", "as_clip", "pair", "require", "reject_lazy"]


class ArgumentMismatch(DataError):
    """A transform's argument does not suit the frames it gets (a crop larger than the frames): a problem of
    the config, not of the video. `Compose` names the argument's key in the pipeline (`pipeline[3].crop_size`)."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument
        self.message = message

    def __reduce__(self) -> tuple:  # picklable across DataLoader worker processes
        return (type(self), (self.argument, self.message))


def as_clip(imgs: Any) -> np.ndarray:
    """`imgs` as one (N, H, W, C) array; a list of frames (from a custom transform) is stacked once."""
    if isinstance(imgs, np.ndarray):
        return imgs
    return np.stack(list(imgs))


def pair(value: int | Sequence[int], name: str) -> tuple[int, int]:
    """An int `s` as `(s, s)`; a 2-sequence as a tuple. Used for `(w, h)` sizes."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, (int, np.integer)) for v in value):
        return int(value[0]), int(value[1])
    raise ConfigError(f"{name} must be an int or a pair of ints (w, h), got {value!r}")


def require(condition: bool, message: str) -> None:
    """Raise ConfigError(message) unless `condition` holds (argument validation at construction)."""
    if not condition:
        raise ConfigError(message)


def reject_lazy(name: str, lazy: bool) -> None:
    """mmaction2's `lazy=True` defers crops to a `Fuse` step; vidcore works on whole clips instead."""
    require(not lazy, f"{name}: lazy=True is not supported (vidcore crops and resizes whole clips at once); "
                      "remove 'lazy' and any 'Fuse' step")
