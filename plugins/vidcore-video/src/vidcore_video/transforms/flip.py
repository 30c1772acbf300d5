"""`Flip`: mirror the whole clip with probability `flip_ratio` (a strided view, no copy; optical flow's x
component is negated too, which takes one copy of it)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
from vidcore.errors import DataError
from vidcore.registry import check_by_constructing

from .clip import as_clip, reject_lazy, require

__all__ = ["Flip"]

_DIRECTIONS = ("horizontal", "vertical")


class Flip:
    """Flip left-right ('horizontal') or top-bottom ('vertical'). `flip_label_map` {label: new_label} renames
    the label of flipped clips (e.g. "swiping left" <-> "swiping right"). Sets `flip` and `flip_direction`.

    Optical flow (`modality: Flow`, frames (N, H, W, 2)): a horizontal mirror reverses horizontal motion, so the
    x component is inverted (`255 - x` on 8-bit flow, mmaction2's `iminvert`); only horizontal flips are
    allowed, as in mmaction2."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, flip_ratio: float = 0.5, direction: str = "horizontal",
                 flip_label_map: Mapping[int, int] | None = None, lazy: bool = False) -> None:
        reject_lazy("Flip", lazy)
        require(0.0 <= flip_ratio <= 1.0, f"Flip: flip_ratio must be in [0, 1], got {flip_ratio}")
        require(direction in _DIRECTIONS, f"Flip: direction must be one of {_DIRECTIONS}, got {direction!r}")
        self.flip_ratio = flip_ratio
        self.direction = direction
        self.flip_label_map = {int(k): int(v) for k, v in flip_label_map.items()} if flip_label_map else None

    def __call__(self, results: dict) -> dict:
        flip = bool(np.random.rand() < self.flip_ratio)
        results["flip"] = flip
        results["flip_direction"] = self.direction
        flow = results.get("modality") == "Flow"
        if flow and self.direction != "horizontal":
            raise DataError(f"{results.get('frame_dir') or 'sample'}: Flip of optical flow must be horizontal, got "
                            f"direction {self.direction!r}")
        if flip:
            imgs = as_clip(results["imgs"])
            imgs = imgs[:, :, ::-1] if self.direction == "horizontal" else imgs[:, ::-1]
            if flow:
                imgs = imgs.copy()
                imgs[..., 0] = 255 - imgs[..., 0]
            results["imgs"] = imgs
            label = results.get("label")
            if self.flip_label_map is not None and isinstance(label, (int, np.integer)):
                results["label"] = self.flip_label_map.get(int(label), int(label))
        return results

    def __repr__(self) -> str:
        return f"Flip(flip_ratio={self.flip_ratio}, direction={self.direction!r}, flip_label_map={self.flip_label_map})"
