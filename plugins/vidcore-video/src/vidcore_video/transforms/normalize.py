"""`Normalize`: (x - mean) / std per channel, turning the clip into float32.

Prefer `ActionDataPreprocessor(mean, std)`, which normalises once per batch on the model's device; this
transform exists for pipelines that need float clips (and for mmaction2 0.x configs)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from vidcore.errors import DataError
from vidcore.registry import check_by_constructing

from .clip import as_clip, require

__all__ = ["Normalize"]


class Normalize:
    """Subtract `mean` and divide by `std`; `to_bgr` swaps RGB to BGR first (give mean/std in BGR order then).

    Optical flow (2-channel x/y clips) takes 2 values each; `adjust_magnitude: true` then multiplies x and y by
    the clip's accumulated resize factors (`scale_factor`, set by Resize), as mmaction2 0.x does."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, mean: Sequence[float], std: Sequence[float], to_bgr: bool = False,
                 adjust_magnitude: bool = False) -> None:
        require(len(mean) == len(std) and len(mean) in (2, 3),
                f"Normalize: mean and std need 3 values (RGB) or 2 (optical flow), got {mean!r}, {std!r}")
        require(all(v > 0 for v in std), f"Normalize: std values must be positive, got {std!r}")
        require(not (to_bgr and len(mean) == 2), "Normalize: to_bgr applies to RGB clips, not to optical flow")
        require(not (adjust_magnitude and len(mean) == 3),
                "Normalize: adjust_magnitude applies to optical flow (2 mean values), not to RGB clips")
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        self.to_bgr = to_bgr
        self.adjust_magnitude = adjust_magnitude

    def __call__(self, results: dict) -> dict:
        clip = as_clip(results["imgs"])
        if clip.shape[-1] != len(self.mean):
            raise DataError(f"{results.get('filename') or results.get('frame_dir') or 'sample'}: Normalize has "
                            f"{len(self.mean)} mean values for {clip.shape[-1]}-channel frames")
        if self.to_bgr:
            clip = clip[..., ::-1]
        normalized = (clip.astype(np.float32) - self.mean) / self.std
        if self.adjust_magnitude:
            normalized *= np.asarray(results.get("scale_factor", (1.0, 1.0)), dtype=np.float32)
        results["imgs"] = normalized
        results["img_norm_cfg"] = {"mean": self.mean, "std": self.std, "to_bgr": self.to_bgr,
                                   "adjust_magnitude": self.adjust_magnitude}
        return results

    def __repr__(self) -> str:
        return (f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()}, to_bgr={self.to_bgr}, "
                f"adjust_magnitude={self.adjust_magnitude})")
