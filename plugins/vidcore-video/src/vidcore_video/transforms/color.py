"""`ColorJitter`: random brightness, contrast, saturation and hue, the same for every frame of a clip,
computed on the whole clip array at once."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from vidcore.registry import check_by_constructing

from .clip import as_clip, require

__all__ = ["ColorJitter", "rgb_to_hsv", "hsv_to_rgb"]

_GRAY = np.array([0.2989, 0.587, 0.114], dtype=np.float32)


def _jitter_range(name: str, value: float | Sequence[float], bound: float, center: float) -> tuple[float, float]:
    if isinstance(value, (list, tuple)):
        require(len(value) == 2 and center - bound <= value[0] <= value[1] <= center + bound,
                f"ColorJitter: {name} range must lie within [{center - bound}, {center + bound}], got {value!r}")
        return float(value[0]), float(value[1])
    require(0 <= value <= bound, f"ColorJitter: {name} must be in [0, {bound}], got {value}")
    return center - float(value), center + float(value)


def rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    """float RGB in [0, 255] (..., 3) -> HSV with hue in [0, 1), saturation in [0, 1], value in [0, 255]."""
    maxc = rgb.max(axis=-1)
    minc = rgb.min(axis=-1)
    delta = maxc - minc
    safe = np.where(delta > 0, delta, 1.0)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    hue = np.where(maxc == r, (g - b) / safe, np.where(maxc == g, 2.0 + (b - r) / safe, 4.0 + (r - g) / safe))
    hue = np.where(delta > 0, (hue / 6.0) % 1.0, 0.0)
    sat = np.where(maxc > 0, delta / np.where(maxc > 0, maxc, 1.0), 0.0)
    return np.stack([hue, sat, maxc], axis=-1).astype(np.float32)


def hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    """Inverse of `rgb_to_hsv`."""
    hue, sat, val = hsv[..., 0] * 6.0, hsv[..., 1], hsv[..., 2]
    sector = np.floor(hue).astype(np.int64) % 6
    frac = hue - np.floor(hue)
    p = val * (1.0 - sat)
    q = val * (1.0 - sat * frac)
    t = val * (1.0 - sat * (1.0 - frac))
    choices_r = [val, q, p, p, t, val]
    choices_g = [t, val, val, q, p, p]
    choices_b = [p, p, t, val, val, q]
    conditions = [sector == i for i in range(6)]
    return np.stack([np.select(conditions, c) for c in (choices_r, choices_g, choices_b)], axis=-1).astype(np.float32)


class ColorJitter:
    """Scale brightness by b, blend with the frame's mean grey for contrast c, with per-pixel grey for
    saturation s, and rotate hue by h (a fraction of the colour circle); b, c, s, h are drawn once per clip
    from (1 -/+ brightness), (1 -/+ contrast), (1 -/+ saturation), (-hue, +hue), applied in random order."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, brightness: float | Sequence[float] = 0.5, contrast: float | Sequence[float] = 0.5,
                 saturation: float | Sequence[float] = 0.5, hue: float | Sequence[float] = 0.1) -> None:
        self.brightness = _jitter_range("brightness", brightness, 1.0, 1.0)
        self.contrast = _jitter_range("contrast", contrast, 1.0, 1.0)
        self.saturation = _jitter_range("saturation", saturation, 1.0, 1.0)
        self.hue = _jitter_range("hue", hue, 0.5, 0.0)

    def __call__(self, results: dict) -> dict:
        clip = as_clip(results["imgs"]).astype(np.float32)
        b = np.random.uniform(*self.brightness)
        c = np.random.uniform(*self.contrast)
        s = np.random.uniform(*self.saturation)
        h = np.random.uniform(*self.hue)
        for step in np.random.permutation(4):
            if step == 0 and b != 1:
                clip *= b
            elif step == 1 and c != 1:
                mean_gray = (clip @ _GRAY).mean(axis=(1, 2))[:, None, None, None]
                clip = c * clip + (1 - c) * mean_gray
            elif step == 2 and s != 1:
                clip = s * clip + (1 - s) * (clip @ _GRAY)[..., None]
            elif step == 3 and h != 0:
                hsv = rgb_to_hsv(np.clip(clip, 0, 255))
                hsv[..., 0] = (hsv[..., 0] + h) % 1.0
                clip = hsv_to_rgb(hsv)
        results["imgs"] = np.clip(clip, 0, 255).astype(np.uint8)
        return results

    def __repr__(self) -> str:
        return (f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")
