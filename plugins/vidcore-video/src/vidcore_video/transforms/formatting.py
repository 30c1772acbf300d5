"""The end of a pipeline: `FormatShape` lays the clip out for the model, `PackActionInputs` turns it into
`{"inputs": uint8 tensor, "data_samples": ActionDataSample}`."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from vidcore.errors import DataError
from vidcore.registry import check_by_constructing

from .clip import as_clip, require

__all__ = ["FormatShape", "PackActionInputs"]

_FORMATS = ("NCHW", "NCTHW", "NCHW_Flow")


class FormatShape:
    """(M, H, W, C) frames -> 'NCHW': (M, C, H, W), the frames of all clips and crops as a batch of images
    (2D models); 'NCTHW': (crops * clips, C, T, H, W) with T = `clip_len` (3D models). `collapse` drops
    a leading dimension of 1.

    Optical flow (`modality: Flow`, frames (M, H, W, 2)): 'NCHW_Flow' (mmaction2 0.x's name), and 'NCHW' as in
    mmaction2 1.x, stack each clip's `clip_len` x/y frames as channels: (crops * clips, 2 * clip_len, H, W),
    ordered x0, y0, x1, y1, ... (a 2D network with `in_channels: 2 * clip_len` sees one clip as one image).

    The result is a view of the frames' own (M, H, W, C) memory, so it is channels-last (channels_last /
    channels_last_3d strides): models that run channels-last, the fast layout of convolutions on GPUs and
    recent CPUs, need no conversion, and the frames are copied at most once here (when an earlier transform
    left them as a view, e.g. a crop or a flip)."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, input_format: str, collapse: bool = False) -> None:
        require(input_format in _FORMATS, f"FormatShape: input_format must be one of {_FORMATS}, got {input_format!r}")
        self.input_format = input_format
        self.collapse = collapse

    def __call__(self, results: dict) -> dict:
        if self.input_format == "NCHW_Flow" or (self.input_format == "NCHW" and results.get("modality") == "Flow"):
            imgs = _stack_flow(results)
        elif self.input_format == "NCHW":
            imgs = np.ascontiguousarray(as_clip(results["imgs"])).transpose(0, 3, 1, 2)
        else:
            imgs = np.ascontiguousarray(as_clip(results["imgs"]))
            num_clips, clip_len = int(results["num_clips"]), int(results["clip_len"])
            if imgs.shape[0] % (num_clips * clip_len):
                raise DataError(f"{_source(results)}: {imgs.shape[0]} frames cannot form clips of num_clips="
                                f"{num_clips} x clip_len={clip_len}")
            imgs = imgs.reshape((-1, num_clips, clip_len) + imgs.shape[1:])  # views x clips x T x H x W x C
            imgs = imgs.transpose(0, 1, 5, 2, 3, 4)
            imgs = imgs.reshape((-1,) + imgs.shape[2:])  # merges views and clips: still a view
        if self.collapse:
            if imgs.shape[0] != 1:
                raise DataError(f"FormatShape(collapse=True) needs a single clip, got {imgs.shape[0]}")
            imgs = imgs[0]
        results["imgs"] = imgs
        results["input_shape"] = imgs.shape
        return results

    def __repr__(self) -> str:
        return f"FormatShape(input_format={self.input_format!r}, collapse={self.collapse})"


def _source(results: dict) -> str:
    return results.get("filename") or results.get("frame_dir") or "sample"


def _stack_flow(results: dict) -> np.ndarray:
    """(M, H, W, 2) flow frames -> (M / clip_len, 2 * clip_len, H, W), channels x0, y0, x1, y1, ... The one
    copy lays the memory out as (views, H, W, channels): channels-last, like every other FormatShape output."""
    imgs = as_clip(results["imgs"])
    clip_len = int(results["clip_len"])
    if imgs.ndim != 4 or imgs.shape[-1] != 2:
        raise DataError(f"{_source(results)}: optical-flow formatting needs (N, H, W, 2) x/y frames, got shape "
                        f"{imgs.shape}; set modality: Flow on the dataset")
    if imgs.shape[0] % clip_len:
        raise DataError(f"{_source(results)}: {imgs.shape[0]} flow frames cannot form clips of clip_len={clip_len}")
    views = imgs.reshape((-1, clip_len) + imgs.shape[1:]).transpose(0, 2, 3, 1, 4)  # views x H x W x T x 2
    stacked = np.ascontiguousarray(views).reshape(views.shape[:3] + (-1,))
    return stacked.transpose(0, 3, 1, 2)


class PackActionInputs:
    """`imgs` -> `inputs` (a torch tensor sharing the array's memory and strides, uint8 unless a transform made
    floats); `label` -> `data_samples.gt_label`; the `meta_keys` present in the results -> `data_samples.metainfo`."""

    check_config = classmethod(check_by_constructing)  # the constructor validates and stores only

    def __init__(self, meta_keys: Sequence[str] = ("img_shape", "img_key", "video_id", "timestamp", "filename",
                                                   "frame_dir", "num_clips", "clip_len")) -> None:
        require(isinstance(meta_keys, (list, tuple)) and all(isinstance(k, str) for k in meta_keys),
                f"PackActionInputs: meta_keys must be a list of strings, got {meta_keys!r}")
        self.meta_keys = tuple(meta_keys)

    def __call__(self, results: dict) -> dict:
        import torch

        from ..data_sample import ActionDataSample

        if "imgs" not in results:
            raise DataError("PackActionInputs: no 'imgs' in the results; is a decode step missing?")
        imgs = as_clip(results["imgs"])
        if any(stride < 0 for stride in imgs.strides):  # torch cannot view reversed memory (e.g. a flip)
            imgs = np.ascontiguousarray(imgs)
        sample = ActionDataSample(metainfo={key: results[key] for key in self.meta_keys if key in results})
        if results.get("label") is not None:
            sample.set_gt_label(results["label"])
        return {"inputs": torch.from_numpy(imgs), "data_samples": sample}

    def __repr__(self) -> str:
        return f"PackActionInputs(meta_keys={self.meta_keys})"
