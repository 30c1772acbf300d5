"""`RepeatAugDataset`: each video is decoded once and served as `num_repeats` differently augmented views
(repeated augmentation, https://arxiv.org/abs/1901.09335), as mmaction2's dataset of that name."""

from __future__ import annotations

import copy
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from vidcore.errors import ConfigError

from ..transforms.compose import Compose
from .video_dataset import VideoDataset

__all__ = ["RepeatAugDataset", "RepeatedViews"]


class RepeatAugDataset(VideoDataset):
    """A VideoDataset whose sample is a list of `num_repeats` views of one video, for `repeat_pseudo_collate`
    (its default collate function): a batch of B videos trains on B x num_repeats clips.

    The pipeline must start with an init, a sampling and a decode transform (`PyAVInit`/`DecordInit`,
    `SampleFrames`, `PyAVDecode`/`DecordDecode`): the frames of every view are sampled, then decoded together
    once, and the rest of the pipeline runs on each view. `sample_once` gives every view the same frames
    (only the later, spatial augmentations differ). Always a training dataset (`test_mode` false).
    """

    collate_fn = "repeat_pseudo_collate"

    def __init__(self, ann_file: str | None, pipeline: Sequence[Any],
                 data_prefix: str | Mapping[str, str] | None = None, num_repeats: int = 4, sample_once: bool = False,
                 start_index: int = 0, num_classes: int | None = None, multi_class: bool = False,
                 label_file: str | None = None, on_decode_error: str = "raise", max_decode_retries: int = 10,
                 delimiter: str | None = None, check_files: bool = True,
                 indices: int | Sequence[int] | None = None) -> None:
        if isinstance(num_repeats, bool) or not isinstance(num_repeats, int) or num_repeats < 1:
            raise ConfigError(f"num_repeats must be a positive integer, got {num_repeats!r}")
        super().__init__(ann_file, pipeline, data_prefix=data_prefix, start_index=start_index,
                         num_classes=num_classes, multi_class=multi_class, label_file=label_file, test_mode=False,
                         on_decode_error=on_decode_error, max_decode_retries=max_decode_retries,
                         delimiter=delimiter, check_files=check_files, indices=indices)
        self.num_repeats = num_repeats
        self.sample_once = sample_once
        self.pipeline = RepeatedViews(self.pipeline, num_repeats, sample_once)


class RepeatedViews:
    """The pipeline of a RepeatAugDataset: init, sample every view, decode once, then finish each view."""

    def __init__(self, pipeline: Compose, num_repeats: int, sample_once: bool) -> None:
        transforms = list(pipeline.transforms)
        names = [type(transform).__name__ for transform in transforms[:3]]
        if len(names) < 3 or not names[0].endswith("Init") or not names[2].endswith("Decode"):
            raise ConfigError("RepeatAugDataset: the pipeline must begin with an init, a sampling and a decode "
                              f"transform (e.g. PyAVInit, SampleFrames, PyAVDecode), got {names}")
        self.init, self.sample, self.decode = transforms[:3]
        self.finish = Compose(transforms[3:])
        self.num_repeats = num_repeats
        self.sample_once = sample_once

    def __call__(self, results: dict) -> list[dict]:
        results = self.init(results)
        draws = 1 if self.sample_once else self.num_repeats
        sampled = [self.sample(dict(results)) for _ in range(draws)]
        frame_inds = [np.asarray(sample["frame_inds"]).reshape(-1) for sample in sampled]
        frame_inds = frame_inds * self.num_repeats if self.sample_once else frame_inds
        decoded = self.decode({**sampled[-1], "frame_inds": np.concatenate(frame_inds)})
        frames = decoded.pop("imgs")
        views, start = [], 0
        for inds in frame_inds:
            view = copy.deepcopy(decoded)
            view["frame_inds"] = inds
            view["imgs"] = frames[start:start + len(inds)]
            start += len(inds)
            views.append(self.finish(view))
        return views

    @property
    def transforms(self) -> list[Callable[[dict], dict]]:
        return [self.init, self.sample, self.decode, *self.finish.transforms]
