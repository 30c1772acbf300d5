"""`Normalize`: (x - mean) / std per channel, turning the clip into float32.

Prefer `ActionDataPreprocessor(mean, std)`, which normalises once per batch on the model's device; this
transform exists for pipelines that need float clips (and for mmaction2 0.x configs)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from vidcore.registry import check_by_constructing

from .clip import as_clip, require

__all__ = ["Normalize"]


class Normalize:
    """Subtract `mean` and divide by `std`; `to_bgr` swaps RGB to BGR first (give mean/std in BGR order then)."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, mean: Sequence[float], std: Sequence[float], to_bgr: bool = False) -> None:
        require(len(mean) == 3 and len(std) == 3, f"Normalize: mean and std need 3 values, got {mean!r}, {std!r}")
        require(all(v > 0 for v in std), f"Normalize: std values must be positive, got {std!r}")
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        self.to_bgr = to_bgr

    def __call__(self, results: dict) -> dict:
        clip = as_clip(results["imgs"])
        if self.to_bgr:
            clip = clip[..., ::-1]
        results["imgs"] = (clip.astype(np.float32) - self.mean) / self.std
        results["img_norm_cfg"] = {"mean": self.mean, "std": self.std, "to_bgr": self.to_bgr}
        return results

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()}, to_bgr={self.to_bgr})"
