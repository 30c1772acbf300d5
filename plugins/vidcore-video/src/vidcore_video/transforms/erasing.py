"""`RandomErasing`: blank out one random rectangle, the same for every frame of the clip (mmaction2's transform,
after Zhong et al., "Random Erasing Data Augmentation")."""

from __future__ import annotations

from numbers import Number
from typing import Sequence

import numpy as np
from vidcore.errors import DataError

from .clip import as_clip, require

__all__ = ["RandomErasing"]

_MODES = ("const", "rand")


def _three(value: Number | Sequence[Number], name: str) -> tuple[float, float, float]:
    if isinstance(value, Number) and not isinstance(value, bool):
        return (float(value),) * 3
    require(isinstance(value, (list, tuple)) and len(value) == 3 and all(isinstance(v, Number) for v in value),
            f"RandomErasing: {name} must be a number or 3 numbers, got {value!r}")
    return tuple(float(v) for v in value)  # type: ignore[return-value]


class RandomErasing:
    """With probability `erase_prob`, fill a rectangle of `min_area_ratio`..`max_area_ratio` of the frame
    area, with an aspect ratio (h / w) drawn log-uniformly from `aspect_range` (a float a means
    (min(a, 1/a), max(a, 1/a))), at a uniform position. The rectangle is the same in every frame, so the
    clip keeps one coherent occluder.

    `mode: const` fills it with `fill_color` (a number or RGB); `mode: rand` with random pixels, uniform in
    [0, 255] or, with `fill_std`, normal around `fill_color` — drawn per frame, as mmaction2 does. The paper's
    variants: RE-R `mode: rand`; RE-M `fill_color: [123.67, 116.3, 103.5]`; RE-0 `fill_color: 0`; RE-255
    `fill_color: 255`. Works on RGB clips of any dtype (uint8 before normalisation, as in the recipes).
    """

    def __init__(self, erase_prob: float = 0.5, min_area_ratio: float = 0.02, max_area_ratio: float = 1 / 3,
                 aspect_range: float | Sequence[float] = (3 / 10, 10 / 3), mode: str = "const",
                 fill_color: Number | Sequence[Number] = (128, 128, 128),
                 fill_std: Number | Sequence[Number] | None = None) -> None:
        require(isinstance(erase_prob, Number) and 0.0 <= erase_prob <= 1.0,
                f"RandomErasing: erase_prob must be in [0, 1], got {erase_prob!r}")
        require(0.0 <= min_area_ratio <= max_area_ratio <= 1.0,
                f"RandomErasing: need 0 <= min_area_ratio <= max_area_ratio <= 1, got {min_area_ratio!r}, "
                f"{max_area_ratio!r}")
        if isinstance(aspect_range, Number) and not isinstance(aspect_range, bool):
            require(aspect_range > 0, f"RandomErasing: aspect_range must be positive, got {aspect_range!r}")
            low = min(float(aspect_range), 1 / float(aspect_range))
            aspect_range = (low, 1 / low)
        require(isinstance(aspect_range, (list, tuple)) and len(aspect_range) == 2
                and 0 < aspect_range[0] <= aspect_range[1],
                f"RandomErasing: aspect_range must be a positive float or (min, max) with min <= max, got "
                f"{aspect_range!r}")
        require(mode in _MODES, f"RandomErasing: mode must be one of {_MODES}, got {mode!r}")
        self.erase_prob = float(erase_prob)
        self.min_area_ratio = float(min_area_ratio)
        self.max_area_ratio = float(max_area_ratio)
        self.aspect_range = (float(aspect_range[0]), float(aspect_range[1]))
        self.mode = mode
        self.fill_color = _three(fill_color, "fill_color")
        self.fill_std = None if fill_std is None else _three(fill_std, "fill_std")

    def random_patch(self, height: int, width: int) -> tuple[int, int, int, int]:
        """(top, left, h, w) of a rectangle drawn as described above."""
        aspect = np.exp(np.random.uniform(*np.log(self.aspect_range)))
        area = height * width * np.random.uniform(self.min_area_ratio, self.max_area_ratio)
        h = min(int(round(np.sqrt(area * aspect))), height)
        w = min(int(round(np.sqrt(area / aspect))), width)
        top = np.random.randint(0, height - h) if height > h else 0
        left = np.random.randint(0, width - w) if width > w else 0
        return top, left, h, w

    def __call__(self, results: dict) -> dict:
        if np.random.rand() > self.erase_prob:
            return results
        imgs = as_clip(results["imgs"])
        if imgs.shape[-1] != 3:
            raise DataError(f"{results.get('filename') or results.get('frame_dir') or 'sample'}: RandomErasing "
                            f"works on RGB clips, got {imgs.shape[-1]} channels")
        if imgs.base is not None or not imgs.flags.writeable:  # a view (a crop, a flip) of memory that may be
            imgs = imgs.copy()  # shared: erase a compact copy, which FormatShape then keeps without copying
        top, left, h, w = self.random_patch(imgs.shape[1], imgs.shape[2])
        imgs[:, top:top + h, left:left + w] = self._fill(len(imgs), h, w, imgs.dtype)
        results["imgs"] = imgs
        return results

    def _fill(self, frames: int, h: int, w: int, dtype: np.dtype) -> np.ndarray:
        if self.mode == "const":
            return np.asarray(self.fill_color).astype(dtype)
        if self.fill_std is None:
            patch = np.random.uniform(0, 256, (frames, h, w, 3))
        else:
            patch = np.random.normal(self.fill_color, self.fill_std, (frames, h, w, 3))
        return np.clip(np.floor(patch), 0, 255).astype(dtype)

    def __repr__(self) -> str:
        return (f"RandomErasing(erase_prob={self.erase_prob}, min_area_ratio={self.min_area_ratio}, "
                f"max_area_ratio={self.max_area_ratio}, aspect_range={self.aspect_range}, mode={self.mode!r}, "
                f"fill_color={self.fill_color}, fill_std={self.fill_std})")
