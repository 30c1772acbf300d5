"""Spatial crops of whole clips: `RandomCrop`, `CenterCrop`, `RandomResizedCrop`, `MultiScaleCrop` (one
region per clip), and the multi-view test crops `ThreeCrop`, `TenCrop`. A crop is an array slice of the
(N, H, W, C) clip; `crop_bbox` records (x1, y1, x2, y2)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from vidcore.errors import DataError
from vidcore.registry import check_by_constructing

from .clip import ArgumentMismatch, as_clip, pair, reject_lazy, require

__all__ = ["RandomCrop", "CenterCrop", "RandomResizedCrop", "MultiScaleCrop", "ThreeCrop", "TenCrop"]


def _source(results: dict) -> str:
    return str(results.get("filename") or results.get("frame_dir") or "sample")


def _apply_crop(results: dict, imgs: np.ndarray, x: int, y: int, w: int, h: int) -> dict:
    results["imgs"] = imgs[:, y:y + h, x:x + w]
    results["crop_bbox"] = np.array([x, y, x + w, y + h])
    results["img_shape"] = (h, w)
    return results


def _check_fits(results: dict, name: str, crop_w: int, crop_h: int, img_w: int, img_h: int,
                argument: str = "crop_size") -> None:
    if crop_w > img_w or crop_h > img_h:
        raise ArgumentMismatch(argument, f"{name} crop of {crop_w}x{crop_h} is larger than the frames it gets "
                                         f"({img_w}x{img_h}, from {_source(results)}); lower {argument} or "
                                         f"resize the frames before {name}")


class RandomCrop:
    """A random `size` x `size` square (offsets drawn from [0, H - size) and [0, W - size), as mmaction2)."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, size: int, lazy: bool = False) -> None:
        reject_lazy("RandomCrop", lazy)
        require(isinstance(size, int) and size > 0, f"RandomCrop: size must be a positive int, got {size!r}")
        self.size = size

    def __call__(self, results: dict) -> dict:
        imgs = as_clip(results["imgs"])
        img_h, img_w = imgs.shape[1:3]
        _check_fits(results, "RandomCrop", self.size, self.size, img_w, img_h, argument="size")
        y = int(np.random.randint(0, img_h - self.size)) if img_h > self.size else 0
        x = int(np.random.randint(0, img_w - self.size)) if img_w > self.size else 0
        return _apply_crop(results, imgs, x, y, self.size, self.size)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size})"


class CenterCrop:
    """The centred `crop_size` region (w, h), offsets rounded down."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, crop_size: int | Sequence[int], lazy: bool = False) -> None:
        reject_lazy("CenterCrop", lazy)
        self.crop_size = pair(crop_size, "CenterCrop: crop_size")

    def __call__(self, results: dict) -> dict:
        imgs = as_clip(results["imgs"])
        img_h, img_w = imgs.shape[1:3]
        crop_w, crop_h = self.crop_size
        _check_fits(results, "CenterCrop", crop_w, crop_h, img_w, img_h)
        return _apply_crop(results, imgs, (img_w - crop_w) // 2, (img_h - crop_h) // 2, crop_w, crop_h)

    def __repr__(self) -> str:
        return f"CenterCrop(crop_size={self.crop_size})"


class RandomResizedCrop:
    """A random region covering `area_range` of the frame with aspect ratio (w/h) in `aspect_ratio_range`
    (log-uniform); after 10 failed draws, the centred square. Crops only — follow with a Resize."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, area_range: Sequence[float] = (0.08, 1.0),
                 aspect_ratio_range: Sequence[float] = (3 / 4, 4 / 3), lazy: bool = False) -> None:
        reject_lazy("RandomResizedCrop", lazy)
        require(len(area_range) == 2 and 0 < area_range[0] <= area_range[1] <= 1,
                f"RandomResizedCrop: area_range must be (low, high) in (0, 1], got {area_range!r}")
        require(len(aspect_ratio_range) == 2 and 0 < aspect_ratio_range[0] <= aspect_ratio_range[1],
                f"RandomResizedCrop: aspect_ratio_range must be (low, high) > 0, got {aspect_ratio_range!r}")
        self.area_range = (float(area_range[0]), float(area_range[1]))
        self.aspect_ratio_range = (float(aspect_ratio_range[0]), float(aspect_ratio_range[1]))

    def crop_box(self, img_h: int, img_w: int, max_attempts: int = 10) -> tuple[int, int, int, int]:
        """(x, y, w, h) of a crop for a frame of img_h x img_w."""
        log_ratios = np.log(self.aspect_ratio_range)
        ratios = np.exp(np.random.uniform(log_ratios[0], log_ratios[1], size=max_attempts))
        areas = np.random.uniform(*self.area_range, size=max_attempts) * img_h * img_w
        widths = np.round(np.sqrt(areas * ratios)).astype(int)
        heights = np.round(np.sqrt(areas / ratios)).astype(int)
        for w, h in zip(widths, heights):
            if 0 < w <= img_w and 0 < h <= img_h:
                x = int(np.random.randint(0, img_w - w + 1))
                y = int(np.random.randint(0, img_h - h + 1))
                return x, y, int(w), int(h)
        side = min(img_h, img_w)
        return (img_w - side) // 2, (img_h - side) // 2, side, side

    def __call__(self, results: dict) -> dict:
        imgs = as_clip(results["imgs"])
        x, y, w, h = self.crop_box(*imgs.shape[1:3])
        return _apply_crop(results, imgs, x, y, w, h)

    def __repr__(self) -> str:
        return f"RandomResizedCrop(area_range={self.area_range}, aspect_ratio_range={self.aspect_ratio_range})"


class MultiScaleCrop:
    """TSN's corner/centre multi-scale crop.

    Crop sides are `int(min(H, W) * s)` for `s` in `scales`; width and height scales are drawn as a pair
    whose levels differ by at most `max_wh_scale_gap`, and a side within 2 px of `input_size` snaps to it.
    The offset is random (`random_crop`) or one of 5 fixed positions (corners and centre; 13 adds the edge
    centres and the quarter points). Crops only — follow with `Resize(input_size, keep_ratio=False)`.
    """

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, input_size: int | Sequence[int], scales: Sequence[float] = (1,), max_wh_scale_gap: int = 1,
                 random_crop: bool = False, num_fixed_crops: int = 5, lazy: bool = False) -> None:
        reject_lazy("MultiScaleCrop", lazy)
        self.input_size = pair(input_size, "MultiScaleCrop: input_size")
        require(isinstance(scales, (list, tuple)) and len(scales) > 0 and all(0 < s <= 1 for s in scales),
                f"MultiScaleCrop: scales must be a non-empty list of numbers in (0, 1], got {scales!r}")
        require(num_fixed_crops in (5, 13), f"MultiScaleCrop: num_fixed_crops must be 5 or 13, got {num_fixed_crops}")
        self.scales = tuple(float(s) for s in scales)
        self.max_wh_scale_gap = max_wh_scale_gap
        self.random_crop = random_crop
        self.num_fixed_crops = num_fixed_crops

    def crop_box(self, img_h: int, img_w: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) of a crop for a frame of img_h x img_w."""
        sides = [int(min(img_h, img_w) * s) for s in self.scales]
        candidates = [(w, h) for i, h in enumerate(sides) for j, w in enumerate(sides)
                      if abs(i - j) <= self.max_wh_scale_gap]
        crop_w, crop_h = candidates[np.random.randint(len(candidates))]
        if abs(crop_w - self.input_size[0]) < 3:
            crop_w = self.input_size[0]
        if abs(crop_h - self.input_size[1]) < 3:
            crop_h = self.input_size[1]
        crop_w, crop_h = min(crop_w, img_w), min(crop_h, img_h)
        if self.random_crop:
            x = int(np.random.randint(0, img_w - crop_w + 1))
            y = int(np.random.randint(0, img_h - crop_h + 1))
            return x, y, crop_w, crop_h
        w_step, h_step = (img_w - crop_w) // 4, (img_h - crop_h) // 4
        grid = [(0, 0), (4, 0), (0, 4), (4, 4), (2, 2)]
        if self.num_fixed_crops == 13:
            grid += [(0, 2), (4, 2), (2, 4), (2, 0), (1, 1), (3, 1), (1, 3), (3, 3)]
        gx, gy = grid[np.random.randint(len(grid))]
        return gx * w_step, gy * h_step, crop_w, crop_h

    def __call__(self, results: dict) -> dict:
        imgs = as_clip(results["imgs"])
        x, y, w, h = self.crop_box(*imgs.shape[1:3])
        results["scales"] = self.scales
        return _apply_crop(results, imgs, x, y, w, h)

    def __repr__(self) -> str:
        return (f"MultiScaleCrop(input_size={self.input_size}, scales={self.scales}, "
                f"max_wh_scale_gap={self.max_wh_scale_gap}, random_crop={self.random_crop}, "
                f"num_fixed_crops={self.num_fixed_crops})")


def _multi_crop(results: dict, imgs: np.ndarray, boxes: list[tuple[int, int]], crop_w: int, crop_h: int,
                with_flips: bool) -> dict:
    """Concatenate the crops at `boxes` (x, y) along the frame axis (each crop followed by its mirror)."""
    views = []
    for x, y in boxes:
        view = imgs[:, y:y + crop_h, x:x + crop_w]
        views.append(view)
        if with_flips:
            views.append(view[:, :, ::-1])
    results["imgs"] = np.concatenate(views, axis=0)
    per_view = len(views) // len(boxes)
    results["crop_bbox"] = np.repeat(np.array([[x, y, x + crop_w, y + crop_h] for x, y in boxes]),
                                     per_view * imgs.shape[0], axis=0)
    results["img_shape"] = (crop_h, crop_w)
    return results


class ThreeCrop:
    """Three crops along the long side (start, end, middle — mmaction2's order); one side of `crop_size`
    (w, h) must equal the frame's. Frames come out as [crop0 clip, crop1 clip, crop2 clip]."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, crop_size: int | Sequence[int]) -> None:
        self.crop_size = pair(crop_size, "ThreeCrop: crop_size")

    def __call__(self, results: dict) -> dict:
        imgs = as_clip(results["imgs"])
        img_h, img_w = imgs.shape[1:3]
        crop_w, crop_h = self.crop_size
        _check_fits(results, "ThreeCrop", crop_w, crop_h, img_w, img_h)
        if crop_h == img_h:
            step = (img_w - crop_w) // 2
            boxes = [(0, 0), (2 * step, 0), (step, 0)]
        elif crop_w == img_w:
            step = (img_h - crop_h) // 2
            boxes = [(0, 0), (0, 2 * step), (0, step)]
        else:
            raise DataError(f"{_source(results)}: ThreeCrop of {crop_w}x{crop_h} needs one side equal to the "
                            f"frame's {img_w}x{img_h}; resize the short side to {min(crop_w, crop_h)} first")
        return _multi_crop(results, imgs, boxes, crop_w, crop_h, with_flips=False)

    def __repr__(self) -> str:
        return f"ThreeCrop(crop_size={self.crop_size})"


class TenCrop:
    """The four corners and the centre, each followed by its horizontal mirror: 10 views of the clip."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, crop_size: int | Sequence[int]) -> None:
        self.crop_size = pair(crop_size, "TenCrop: crop_size")

    def __call__(self, results: dict) -> dict:
        imgs = as_clip(results["imgs"])
        img_h, img_w = imgs.shape[1:3]
        crop_w, crop_h = self.crop_size
        _check_fits(results, "TenCrop", crop_w, crop_h, img_w, img_h)
        w_step, h_step = (img_w - crop_w) // 4, (img_h - crop_h) // 4
        boxes = [(0, 0), (4 * w_step, 0), (0, 4 * h_step), (4 * w_step, 4 * h_step), (2 * w_step, 2 * h_step)]
        return _multi_crop(results, imgs, boxes, crop_w, crop_h, with_flips=True)

    def __repr__(self) -> str:
        return f"TenCrop(crop_size={self.crop_size})"


