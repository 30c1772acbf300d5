"""`ActionDataPreprocessor`: the one place where frames become float — stacked, moved to the model's
device, converted, normalised and (in training) blended, once per batch."""

from __future__ import annotations

import copy
from typing import Any, Mapping, Sequence

import torch
from vidcore.errors import ConfigError, DataError
from vidcore.model import BaseDataPreprocessor, cast_data, stack_tensors

from ..data_sample import check_label_range

__all__ = ["ActionDataPreprocessor"]

_FORMATS = ("NCHW", "NCTHW", "NCHW_Flow")


class ActionDataPreprocessor(BaseDataPreprocessor):
    """Prepare a batch of packed clips for the model.

    `inputs` (one stacked uint8 tensor, as `stack_inputs_collate` makes it in the DataLoader workers, or a
    list of (M, C, H, W) / (M, C, T, H, W) tensors, stacked here) is moved to the device in one copy
    (non-blocking when pinned), converted to float32 there, optionally reordered BGR<->RGB (`to_rgb`),
    normalised with `mean`/`std` (0-255 scale, per channel), and in training passed to `blending` (a
    MixupBlending/CutmixBlending or its config), which turns labels into soft one-hot targets. The memory
    layout is kept, so channels-last frames (FormatShape's) stay channels-last.

    Optical flow stacked as channels (FormatShape's 'NCHW_Flow', also accepted here as `format_shape`, the
    same as 'NCHW'): `mean`/`std` give one value per stacked channel (`2 * clip_len`), or two, the x and y
    values (as mmaction2 0.x's flow `Normalize`), applied to every stacked frame.

    The samples' `gt_label`s travel as one tensor in one copy. When `num_classes` is known (given here, else
    filled in by a recognizer from its head), integer labels are checked against [0, num_classes) on the
    host, before the copy, so that a bad label is a clear error and the step never waits for the GPU.
    """

    def __init__(self, mean: Sequence[float] | None = None, std: Sequence[float] | None = None,
                 to_rgb: bool = False, format_shape: str = "NCHW", blending: Any = None,
                 non_blocking: bool = False, num_classes: int | None = None) -> None:
        super().__init__(non_blocking=non_blocking)
        problems = _argument_problems(mean, std, format_shape, num_classes)
        if problems:
            raise ConfigError(f"ActionDataPreprocessor: {problems[0][1]}")
        self.format_shape = format_shape
        self.to_rgb = to_rgb
        self.num_classes = num_classes
        self.normalize = mean is not None
        if mean is not None and std is not None:
            shape = (-1, 1, 1, 1) if format_shape == "NCTHW" else (-1, 1, 1)
            self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(shape), persistent=False)
            self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(shape), persistent=False)
        if isinstance(blending, Mapping):
            from vidcore.plugins import default_registry

            blending = default_registry().build(blending, "models", key_path=("data_preprocessor", "blending"))
        if blending is not None and not callable(blending):
            raise ConfigError(f"ActionDataPreprocessor: blending must be a blending config or callable, "
                              f"got {type(blending).__name__}")
        self.blending = blending

    @classmethod
    def check_config(cls, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """`format_shape`, `mean`/`std` and `num_classes` as configured (see vidcore.registry.CHECK_METHOD)."""
        return _argument_problems(args.get("mean"), args.get("std"), args.get("format_shape", "NCHW"),
                                  args.get("num_classes"))

    def forward(self, data: Mapping[str, Any], training: bool = False) -> dict[str, Any]:
        inputs = data["inputs"]
        if isinstance(inputs, (list, tuple)):
            stacked = stack_tensors(inputs)
            if stacked is None:
                shapes = sorted({tuple(getattr(clip, "shape", ())) for clip in inputs})
                raise DataError(f"ActionDataPreprocessor: the clips of a batch must share one shape to be stacked, "
                                f"got {shapes}; crop every clip to one size, or set the dataloader's batch_size to 1")
            inputs = stacked
        inputs = cast_data(inputs, self.device, self.non_blocking)  # uint8 travels: 4x fewer bytes
        owned = not inputs.is_floating_point()
        if owned:
            inputs = inputs.float()
        channel_dim = 2  # (B, views, C, H, W) or (B, views, C, T, H, W)
        if self.to_rgb and inputs.size(channel_dim) == 3:
            inputs, owned = inputs.flip(channel_dim), True
        if self.normalize:
            mean, std = self._per_channel(inputs.size(channel_dim))
            inputs = inputs.sub_(mean).div_(std) if owned else (inputs - mean) / std
        data_samples = data.get("data_samples")
        if data_samples is not None:
            data_samples = self._samples_to_device(list(data_samples))
        if training and self.blending is not None and data_samples is not None:
            inputs, data_samples = self.blending(inputs, data_samples)
        batch = {key: value for key, value in data.items() if key not in ("inputs", "data_samples")}
        batch.update(inputs=inputs, data_samples=data_samples)
        return batch

    def _per_channel(self, channels: int) -> tuple[torch.Tensor, torch.Tensor]:
        """`mean` and `std` for inputs of `channels` channels: as given, or x/y flow values repeated for each
        stacked flow frame."""
        values = self.mean.numel()
        if values in (1, channels):
            return self.mean, self.std
        if values == 2 and channels % 2 == 0:
            repeats = (channels // 2,) + (1,) * (self.mean.dim() - 1)
            return self.mean.repeat(repeats), self.std.repeat(repeats)
        raise DataError(f"ActionDataPreprocessor: mean and std have {values} values for inputs with {channels} "
                        "channels; give one value per channel (optical flow stacks clip_len x/y frames: 2 x "
                        "clip_len values, or the two x/y values)")

    def _samples_to_device(self, samples: list[Any]) -> list[Any]:
        """The samples on the device, their `gt_label`s checked on the host and copied as one tensor."""
        stacked = stack_tensors([getattr(sample, "gt_label", None) for sample in samples])
        if stacked is None:  # labels missing or of different shapes: each sample moves on its own
            return cast_data(samples, self.device, self.non_blocking)
        if self.num_classes is not None and not stacked.is_floating_point():
            sources = [sample.metainfo.get("filename") or sample.metainfo.get("frame_dir") for sample in samples]
            check_label_range(stacked.numpy(), self.num_classes, sources=sources)
        if self.device.type == "cuda":
            stacked = stacked.pin_memory()
        moved_labels = cast_data(stacked, self.device, self.non_blocking)
        moved = []
        for sample, label in zip(samples, moved_labels):
            sample = copy.copy(sample)
            sample.gt_label = None
            sample = cast_data(sample, self.device, self.non_blocking)
            sample.gt_label = label
            moved.append(sample)
        return moved


def _argument_problems(mean: Any, std: Any, format_shape: Any, num_classes: Any) -> list[tuple[str, str]]:
    """(argument, what is wrong) for the constructor's arguments."""
    problems = []
    if format_shape not in _FORMATS:
        problems.append(("format_shape", f"format_shape must be one of {_FORMATS}, got {format_shape!r}"))
    if (mean is None) != (std is None):
        problems.append(("mean" if mean is None else "std", "give both mean and std, or neither"))
    if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, int)
                                    or num_classes < 1):
        problems.append(("num_classes", f"num_classes must be a positive integer, got {num_classes!r}"))
    if mean is not None and std is not None:
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool)
                      for v in (*_as_list(mean), *_as_list(std)))
        if not numbers or len(_as_list(mean)) != len(_as_list(std)) or any(v <= 0 for v in _as_list(std)):
            problems.append(("std", f"mean {mean!r} and std {std!r} must be lists of numbers of the same length "
                                    "and std must be positive"))
    return problems


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]
