"""Resizing whole clips at once: `resize_clip` (one torch interpolate call per clip), `Resize`,
`RandomRescale`. Bilinear/bicubic use half-pixel centres without antialiasing (as OpenCV's INTER_LINEAR /
INTER_CUBIC that mmaction2 uses); 'nearest' picks floor(dst * scale) as OpenCV's INTER_NEAREST does."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from vidcore.registry import check_by_constructing

from .clip import as_clip, reject_lazy, require

__all__ = ["INTERPOLATIONS", "Resize", "RandomRescale", "resize_clip", "rescaled_size"]

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "area")


def resize_clip(imgs: np.ndarray, size: tuple[int, int], interpolation: str = "bilinear") -> np.ndarray:
    """(N, H, W, C) clip resized to `size` = (new_h, new_w). uint8 stays uint8 (rounded), float stays float."""
    new_h, new_w = size
    if imgs.shape[1:3] == (new_h, new_w):
        return imgs
    import torch
    import torch.nn.functional as F

    if any(stride < 0 for stride in imgs.strides):
        imgs = np.ascontiguousarray(imgs)
    frames = torch.from_numpy(imgs).permute(0, 3, 1, 2)  # NHWC memory seen as channels-last NCHW, no copy
    uint8 = frames.dtype == torch.uint8
    if uint8 and interpolation == "area":  # no uint8 kernel for area; compute in float and round back
        frames = frames.float()
    options = {"align_corners": False} if interpolation in ("bilinear", "bicubic") else {}
    out = F.interpolate(frames, size=(new_h, new_w), mode=interpolation, **options)
    if uint8 and out.dtype != torch.uint8:
        out = out.round_().clamp_(0, 255).to(torch.uint8)
    return np.ascontiguousarray(out.permute(0, 2, 3, 1).numpy())


def rescaled_size(h: int, w: int, scale: float | tuple[float, float]) -> tuple[int, int]:
    """(new_h, new_w) keeping the aspect ratio: a float multiplies both sides; a pair (a, b) fits the long
    side within max(a, b) and the short side within min(a, b) (math.inf = unbounded). Rounds half up."""
    if isinstance(scale, tuple):
        factor = min(max(scale) / max(h, w), min(scale) / min(h, w))
    else:
        factor = float(scale)
    return int(h * factor + 0.5), int(w * factor + 0.5)


class Resize:
    """Resize the clip. `scale` is a float factor, or (w, h): with `keep_ratio` the largest size fitting in
    it (an edge of -1 means unbounded, so `(-1, 256)` sets the short side to 256); without, exactly w x h."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, scale: float | Sequence[int], keep_ratio: bool = True, interpolation: str = "bilinear",
                 lazy: bool = False) -> None:
        reject_lazy("Resize", lazy)
        require(interpolation in INTERPOLATIONS,
                f"Resize: interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
        if isinstance(scale, (int, float)) and not isinstance(scale, bool):
            require(scale > 0, f"Resize: scale must be positive, got {scale}")
            self.scale: float | tuple[float, float] = float(scale)
        else:
            require(isinstance(scale, (list, tuple)) and len(scale) == 2,
                    f"Resize: scale must be a float or a pair (w, h), got {scale!r}")
            w, h = scale
            require(all(v == -1 or v > 0 for v in (w, h)) and (w, h) != (-1, -1),
                    f"Resize: scale sides must be positive or -1 (one side only), got {scale!r}")
            if -1 in (w, h):
                keep_ratio = True
                self.scale = (math.inf, float(max(w, h)))
            else:
                self.scale = (float(w), float(h))
        self.keep_ratio = keep_ratio if not isinstance(self.scale, float) else True
        self.interpolation = interpolation

    def target_size(self, h: int, w: int) -> tuple[int, int]:
        if self.keep_ratio:
            return rescaled_size(h, w, self.scale)
        assert isinstance(self.scale, tuple)
        return int(self.scale[1]), int(self.scale[0])

    def __call__(self, results: dict) -> dict:
        imgs = as_clip(results["imgs"])
        h, w = imgs.shape[1:3]
        new_h, new_w = self.target_size(h, w)
        results["imgs"] = resize_clip(imgs, (new_h, new_w), self.interpolation)
        results["img_shape"] = (new_h, new_w)
        results["keep_ratio"] = self.keep_ratio
        factor = np.array([new_w / w, new_h / h], dtype=np.float32)
        results["scale_factor"] = results.get("scale_factor", np.ones(2, dtype=np.float32)) * factor
        return results

    def __repr__(self) -> str:
        return f"Resize(scale={self.scale}, keep_ratio={self.keep_ratio}, interpolation={self.interpolation!r})"


class RandomRescale:
    """Resize so that the short side is a random integer in the closed `scale_range`, keeping the ratio."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, scale_range: Sequence[int], interpolation: str = "bilinear") -> None:
        require(isinstance(scale_range, (list, tuple)) and len(scale_range) == 2
                and 0 < scale_range[0] < scale_range[1],
                f"RandomRescale: scale_range must be (low, high) with 0 < low < high, got {scale_range!r}")
        self.scale_range = (int(scale_range[0]), int(scale_range[1]))
        self.interpolation = interpolation
        Resize((-1, 1), interpolation=interpolation)  # validates `interpolation`

    def __call__(self, results: dict) -> dict:
        short_edge = int(np.random.randint(self.scale_range[0], self.scale_range[1] + 1))
        results = Resize((-1, short_edge), interpolation=self.interpolation)(results)
        results["short_edge"] = short_edge
        return results

    def __repr__(self) -> str:
        return f"RandomRescale(scale_range={self.scale_range}, interpolation={self.interpolation!r})"
