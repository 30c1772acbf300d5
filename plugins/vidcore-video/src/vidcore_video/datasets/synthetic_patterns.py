"""Drawing and encoding the synthetic videos: one moving pattern per class, random colours per video.

A class is a spatial pattern (stripes, checkerboard, dots, rings, ...) that a 2D CNN recognises in every
single frame; colours, scale, phase and motion are random per video, so neither mean colour nor motion
gives the class away. Every pattern looks the same after a horizontal flip (TSN training flips), and
keeps its identity under the crops and rescales of a training pipeline.

The opt-in temporal-order classes (`TEMPORAL_PATTERNS`) differ only in the direction of their motion
(stripes moving up or down, rings expanding or contracting): any single frame, or any unordered set of
frames, is equally likely under two classes, so only a model that sees frame order tells them apart. The
motions survive a horizontal flip.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["PATTERNS", "TEMPORAL_PATTERNS", "CLASS_SETS", "CODEC_EXTENSIONS", "render_video", "encode_video"]

Pattern = Callable[[np.ndarray, np.ndarray, float], np.ndarray]


def _horizontal_stripes(x: np.ndarray, y: np.ndarray, period: float) -> np.ndarray:
    return (y / period) % 1.0 < 0.5


def _vertical_stripes(x: np.ndarray, y: np.ndarray, period: float) -> np.ndarray:
    return (x / period) % 1.0 < 0.5


def _checkerboard(x: np.ndarray, y: np.ndarray, period: float) -> np.ndarray:
    return (np.floor(x / period) + np.floor(y / period)) % 2 == 0


def _dots(x: np.ndarray, y: np.ndarray, period: float) -> np.ndarray:
    dx = (x / period) % 1.0 - 0.5
    dy = (y / period) % 1.0 - 0.5
    return dx * dx + dy * dy < 0.3 ** 2


def _rings(x: np.ndarray, y: np.ndarray, period: float) -> np.ndarray:
    return (np.hypot(x, y) / period) % 1.0 < 0.5


def _diamonds(x: np.ndarray, y: np.ndarray, period: float) -> np.ndarray:
    u, v = (x + y) / np.sqrt(2.0), (x - y) / np.sqrt(2.0)
    return (np.floor(u / period) + np.floor(v / period)) % 2 == 0


# Class name -> pattern; the first `num_classes` are used. The first four differ in the orientation of
# their edges alone (horizontal, vertical, both, both diagonals), the easiest cue for a small CNN.
PATTERNS: dict[str, Pattern] = {
    "horizontal_stripes": _horizontal_stripes,
    "vertical_stripes": _vertical_stripes,
    "checkerboard": _checkerboard,
    "diamonds": _diamonds,
    "rings": _rings,
    "dots": _dots,
}

# Class name -> (axis of motion, direction): bands of the class's shape are drawn at coordinate
# u - direction * speed * t (u: y for stripes, the distance to a random centre for rings), so they move
# towards larger u for direction +1.
TEMPORAL_PATTERNS: dict[str, tuple[str, int]] = {
    "stripes_moving_up": ("y", -1),
    "stripes_moving_down": ("y", 1),
    "rings_expanding": ("radius", 1),
    "rings_contracting": ("radius", -1),
}

# The `class_set` values of SyntheticVideoDataset -> their class names.
CLASS_SETS: dict[str, list[str]] = {"patterns": list(PATTERNS), "temporal_order": list(TEMPORAL_PATTERNS)}

CODEC_EXTENSIONS = {"libx264": ".mp4", "mpeg4": ".avi", "mjpeg": ".mkv", "libvpx-vp9": ".webm"}


def _contrasting_colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two random RGB colours whose luminance differs by at least 90 (so the pattern stays visible)."""
    weights = np.array([0.299, 0.587, 0.114])
    while True:
        first, second = rng.integers(0, 256, size=(2, 3))
        if abs(float((first - second) @ weights)) >= 90:
            return first.astype(np.uint8), second.astype(np.uint8)


def render_video(class_index: int, rng: np.random.Generator, num_frames: int, height: int,
                 width: int, class_set: str = "patterns") -> np.ndarray:
    """(num_frames, height, width, 3) uint8 frames of class `class_index` of `class_set`, in two random
    colours with mild noise: for 'patterns' the class's pattern drifting in a random direction, for
    'temporal_order' the class's pattern moving in the class's direction."""
    if class_set == "temporal_order":
        return _render_temporal(class_index, rng, num_frames, height, width)
    pattern = list(PATTERNS.values())[class_index]
    period = rng.uniform(0.18, 0.32) * min(height, width)  # large enough to survive a CNN stem's stride 4
    angle = rng.uniform(0, 2 * np.pi)
    speed = rng.uniform(0.3, 1.5)
    origin = rng.uniform(-0.5, 0.5, size=2) * np.array([width, height])
    foreground, background = _contrasting_colours(rng)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    steps = np.arange(num_frames, dtype=np.float32)[:, None, None]
    x = xs[None] - np.float32(width / 2 + origin[0]) - np.float32(speed * np.cos(angle)) * steps
    y = ys[None] - np.float32(height / 2 + origin[1]) - np.float32(speed * np.sin(angle)) * steps
    mask = pattern(x, y, np.float32(period))[..., None]
    frames = np.where(mask, foreground, background).astype(np.int16)
    frames += (rng.integers(0, 256, size=frames.shape, dtype=np.uint8) >> 4).astype(np.int16) - 8  # noise in [-8, 7]
    return np.clip(frames, 0, 255).astype(np.uint8)


def _render_temporal(class_index: int, rng: np.random.Generator, num_frames: int, height: int,
                     width: int) -> np.ndarray:
    axis, direction = list(TEMPORAL_PATTERNS.values())[class_index]
    period = rng.uniform(0.25, 0.4) * min(height, width)
    # Between two consecutive frames the bands move 10-25% of their period: far less than the half period
    # at which the direction of a periodic pattern's motion becomes ambiguous.
    speed = rng.uniform(0.1, 0.25) * period
    phase = rng.uniform(0, period)
    centre = (rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.7) * height)
    foreground, background = _contrasting_colours(rng)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    u = ys - np.float32(centre[1]) if axis == "y" else np.hypot(xs - np.float32(centre[0]), ys - np.float32(centre[1]))
    travelled = np.float32(direction * speed) * np.arange(num_frames, dtype=np.float32)[:, None, None]
    mask = ((u[None] - travelled + np.float32(phase)) / np.float32(period)) % 1.0 < 0.5
    frames = np.where(mask[..., None], foreground, background).astype(np.int16)
    frames += (rng.integers(0, 256, size=frames.shape, dtype=np.uint8) >> 4).astype(np.int16) - 8  # noise in [-8, 7]
    return np.clip(frames, 0, 255).astype(np.uint8)


def encode_video(path: str, frames: np.ndarray, fps: int, codec: str) -> None:
    """Write frames (T, H, W, 3) uint8 RGB to `path` with PyAV, single-threaded so output is reproducible."""
    from ..video_writer import VideoWriter

    options = {"crf": "18", "preset": "veryfast"} if codec == "libx264" else {}
    pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
    with VideoWriter(path, frames.shape[2], frames.shape[1], fps, codec=codec, pix_fmt=pix_fmt, gop=8,
                     options=options) as writer:
        for frame in frames:
            writer.write(frame)
