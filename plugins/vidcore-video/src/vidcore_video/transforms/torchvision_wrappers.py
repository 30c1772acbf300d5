"""torchvision's transforms v2 on whole clips: `TorchVisionWrapper` (any v2 transform by name) and
`PytorchVideoWrapper` (mmaction2's RandAugment / AugMix configs, on torchvision's implementations).

The clip goes to torchvision as one `tv_tensors.Video`, so a random transform draws its parameters once and
applies them to every frame: the clip stays temporally consistent."""

from __future__ import annotations

from typing import Any

import numpy as np
from vidcore.errors import ConfigError, DataError

from .clip import as_clip

__all__ = ["TorchVisionWrapper", "PytorchVideoWrapper", "PYTORCHVIDEO_OPS"]


def _build_v2(op: str, kwargs: dict[str, Any], owner: str) -> Any:
    """`torchvision.transforms.v2.<op>(**kwargs)`, or a ConfigError naming the op and the problem."""
    from torchvision.transforms import v2

    transform_type = getattr(v2, op, None) if isinstance(op, str) and not op.startswith("_") else None
    if not isinstance(transform_type, type) or not issubclass(transform_type, v2.Transform):
        import difflib

        names = [name for name in dir(v2) if isinstance(getattr(v2, name), type)
                 and issubclass(getattr(v2, name), v2.Transform)]
        close = difflib.get_close_matches(str(op), names, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(f"{owner}: op {op!r} is not a transform of torchvision.transforms.v2{hint}")
    try:
        return transform_type(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{owner}(op={op!r}): {exc}") from None


def _apply_to_clip(transform: Any, results: dict, owner: str) -> dict:
    """Run `transform` on the clip as one video; uint8 (N, H, W, C) in and out (float outputs are clamped to
    [0, 255] and truncated, as mmaction2 does)."""
    import torch
    from torchvision import tv_tensors

    imgs = as_clip(results["imgs"])
    if any(stride < 0 for stride in imgs.strides):  # torch cannot view reversed memory (a flip)
        imgs = np.ascontiguousarray(imgs)
    video = tv_tensors.Video(torch.from_numpy(imgs).permute(0, 3, 1, 2))  # channels-last memory, no copy
    try:
        out = transform(video)
    except (TypeError, ValueError, RuntimeError) as exc:
        source = results.get("filename") or results.get("frame_dir") or "sample"
        raise DataError(f"{source}: {owner} failed on a clip of shape {imgs.shape}: {exc}") from None
    out = out.as_subclass(torch.Tensor)
    if out.dtype != torch.uint8:
        out = out.clamp(0, 255).to(torch.uint8)
    clip = out.permute(0, 2, 3, 1).numpy()
    results["imgs"] = clip
    results["img_shape"] = clip.shape[1:3]
    return results


class TorchVisionWrapper:
    """mmaction2's `TorchVisionWrapper(op, **kwargs)` on torchvision's transforms v2: `op` names any
    `torchvision.transforms.v2` transform (`RandAugment`, `AugMix`, `TrivialAugmentWide`, `AutoAugment`,
    `ColorJitter`, `GaussianBlur`, `RandomErasing`, ...), built with the other arguments. The whole clip is
    transformed at once with one draw of the random parameters. Frames stay uint8 RGB."""

    def __init__(self, op: str, **kwargs: Any) -> None:
        self.op = op
        self.kwargs = kwargs
        self.transform = _build_v2(op, kwargs, "TorchVisionWrapper")

    def __call__(self, results: dict) -> dict:
        return _apply_to_clip(self.transform, results, f"TorchVisionWrapper(op={self.op!r})")

    def __repr__(self) -> str:
        return f"TorchVisionWrapper(op={self.op!r}, transform={self.transform!r})"


# pytorchvideo op -> (torchvision v2 transform, {pytorchvideo argument: torchvision argument}, fixed arguments)
PYTORCHVIDEO_OPS: dict[str, tuple[str, dict[str, str], dict[str, Any]]] = {
    # pytorchvideo's magnitude is on a 0..10 scale: bin m of torchvision's 11 bins is the same strength.
    "RandAugment": ("RandAugment", {"magnitude": "magnitude", "num_layers": "num_ops"}, {"num_magnitude_bins": 11}),
    "AugMix": ("AugMix", {"magnitude": "severity", "alpha": "alpha", "width": "mixture_width",
                          "depth": "chain_depth"}, {}),
}
_PYTORCHVIDEO_DEFAULTS = {"RandAugment": {"magnitude": 9, "num_layers": 2}, "AugMix": {"magnitude": 3}}
_VIDCORE_EQUIVALENTS = {"RandomResizedCrop": "RandomResizedCrop", "ShortSideScale": "Resize (scale: [-1, SIZE])",
                        "RandomShortSideScale": "RandomRescale"}


class PytorchVideoWrapper:
    """mmaction2's `PytorchVideoWrapper` for its `RandAugment` and `AugMix` ops, run by torchvision's v2
    implementations (pytorchvideo itself does not work with current torchvision): `magnitude` (0..10) and
    `num_layers` map to RandAugment's `magnitude` (of 11 bins) and `num_ops`; AugMix's `magnitude`, `alpha`,
    `width` and `depth` to `severity`, `alpha`, `mixture_width` and `chain_depth`. pytorchvideo's sampling
    options (`prob`, `sampling_type`, `sampling_hparas`, `transform_hparas`) have no torchvision
    counterpart and are refused; the crop/scale ops name the vidcore transform to use instead."""

    def __init__(self, op: str, **kwargs: Any) -> None:
        if op in _VIDCORE_EQUIVALENTS:
            raise ConfigError(f"PytorchVideoWrapper: op {op!r} is a plain vidcore transform here: use "
                              f"{{type: {_VIDCORE_EQUIVALENTS[op]}}} instead")
        if op not in PYTORCHVIDEO_OPS:
            raise ConfigError(f"PytorchVideoWrapper: op must be one of {sorted(PYTORCHVIDEO_OPS)}, got {op!r}")
        target, names, fixed = PYTORCHVIDEO_OPS[op]
        unsupported = sorted(set(kwargs) - set(names))
        if unsupported:
            raise ConfigError(f"PytorchVideoWrapper(op={op!r}): {unsupported} cannot be honoured by torchvision's "
                              f"{target}; accepted: {sorted(names)} (or use TorchVisionWrapper with op {target!r} "
                              "and torchvision's own arguments)")
        self.op = op
        self.kwargs = {**_PYTORCHVIDEO_DEFAULTS.get(op, {}), **kwargs}
        self.transform = _build_v2(target, {**fixed, **{names[key]: value for key, value in self.kwargs.items()}},
                                   f"PytorchVideoWrapper(op={op!r})")

    def __call__(self, results: dict) -> dict:
        return _apply_to_clip(self.transform, results, f"PytorchVideoWrapper(op={self.op!r})")

    def __repr__(self) -> str:
        return f"PytorchVideoWrapper(op={self.op!r}, transform={self.transform!r})"
