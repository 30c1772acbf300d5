"""`ActionDataPreprocessor`: the one place where frames become float — stacked, moved to the model's
device, converted, normalised and (in training) blended, once per batch."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from vidcore.errors import ConfigError
from vidcore.model import BaseDataPreprocessor, cast_data

__all__ = ["ActionDataPreprocessor"]

_FORMATS = ("NCHW", "NCTHW")


class ActionDataPreprocessor(BaseDataPreprocessor):
    """Prepare a batch of packed clips for the model.

    `inputs` (a list of uint8 (M, C, H, W) or (M, C, T, H, W) tensors, or one stacked tensor) is stacked,
    moved to the device (non-blocking when pinned), converted to float32 there, optionally reordered
    BGR<->RGB (`to_rgb`), normalised with `mean`/`std` (0-255 scale, per channel), and in training passed to
    `blending` (a MixupBlending/CutmixBlending or its config), which turns labels into soft one-hot targets.
    """

    def __init__(self, mean: Sequence[float] | None = None, std: Sequence[float] | None = None,
                 to_rgb: bool = False, format_shape: str = "NCHW", blending: Any = None,
                 non_blocking: bool = False) -> None:
        super().__init__(non_blocking=non_blocking)
        if format_shape not in _FORMATS:
            raise ConfigError(f"ActionDataPreprocessor: format_shape must be one of {_FORMATS}, got {format_shape!r}")
        if (mean is None) != (std is None):
            raise ConfigError("ActionDataPreprocessor: give both mean and std, or neither")
        self.format_shape = format_shape
        self.to_rgb = to_rgb
        self.normalize = mean is not None
        if mean is not None and std is not None:
            if len(mean) != len(std) or any(s <= 0 for s in std):
                raise ConfigError(f"ActionDataPreprocessor: mean {list(mean)} and std {list(std)} must have the "
                                  "same length and std must be positive")
            shape = (-1, 1, 1) if format_shape == "NCHW" else (-1, 1, 1, 1)
            self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(shape), persistent=False)
            self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(shape), persistent=False)
        if isinstance(blending, Mapping):
            from vidcore.registry import default_registry

            blending = default_registry().build(blending, "models", key_path=("data_preprocessor", "blending"))
        if blending is not None and not callable(blending):
            raise ConfigError(f"ActionDataPreprocessor: blending must be a blending config or callable, "
                              f"got {type(blending).__name__}")
        self.blending = blending

    def forward(self, data: Mapping[str, Any], training: bool = False) -> dict[str, Any]:
        inputs = data["inputs"]
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        inputs = inputs.to(self.device, non_blocking=self.non_blocking)  # uint8 travels: 4x fewer bytes
        owned = not inputs.is_floating_point()
        if owned:
            inputs = inputs.float()
        channel_dim = 2  # (B, views, C, H, W) or (B, views, C, T, H, W)
        if self.to_rgb and inputs.size(channel_dim) == 3:
            inputs, owned = inputs.flip(channel_dim), True
        if self.normalize:
            inputs = inputs.sub_(self.mean).div_(self.std) if owned else (inputs - self.mean) / self.std
        data_samples = data.get("data_samples")
        if data_samples is not None:
            data_samples = cast_data(list(data_samples), self.device, self.non_blocking)
        if training and self.blending is not None and data_samples is not None:
            inputs, data_samples = self.blending(inputs, data_samples)
        batch = {key: value for key, value in data.items() if key not in ("inputs", "data_samples")}
        batch.update(inputs=inputs, data_samples=data_samples)
        return batch
