"""Read pretrained weights (`torchvision://NAME` through torchvision's weights API, or a local checkpoint)
and load them into a module with TSN's policy on missing, unexpected and mis-shaped keys."""

from __future__ import annotations

import os
from typing import Any, Mapping

import torch
from torch import nn
from vidcore import CheckpointError
from vidcore.checkpoint import load_checkpoint, load_state_dict

__all__ = ["TORCHVISION_SCHEME", "read_state_dict", "load_into"]

TORCHVISION_SCHEME = "torchvision://"


def read_state_dict(source: str) -> dict[str, torch.Tensor]:
    """The state dict stored at `source`, on the CPU.

    `source` is `torchvision://resnet50` (ImageNet V1 weights, the ones mmaction2 recipes use),
    `torchvision://ResNet50_Weights.IMAGENET1K_V2` (any torchvision weights enum), or a local file holding
    a bare state dict or a checkpoint with `state_dict` / `model`.
    """
    if source.startswith(TORCHVISION_SCHEME):
        return _download_torchvision(source)
    data: Any = load_checkpoint(os.path.expanduser(source))
    for key in ("state_dict", "model"):
        if isinstance(data.get(key), Mapping):
            data = data[key]
            break
    if not all(isinstance(value, torch.Tensor) for value in data.values()):
        raise CheckpointError(f"{source}: not a state dict (expected tensors by name, or a 'state_dict' entry)")
    return dict(data)


def load_into(module: nn.Module, state: Mapping[str, torch.Tensor], source: str, *, allow_missing: bool = False,
              allow_unexpected: bool = True) -> None:
    """Copy `state` into `module` (a DDP `module.` prefix is stripped). Shape mismatches, and missing or
    unexpected keys unless allowed, raise a CheckpointError naming `source`."""
    report = load_state_dict(module, state, strict=False, source=source)
    name = type(module).__name__
    if report.mismatched_shapes:
        key, saved, expected = report.mismatched_shapes[0]
        raise CheckpointError(f"{source}: '{key}' has shape {saved} in the file but {expected} in {name} "
                              f"({len(report.mismatched_shapes)} mismatched keys)")
    unexpected = report.unexpected_keys
    if unexpected and not allow_unexpected:
        raise CheckpointError(f"{source}: {len(unexpected)} weights in the file do not exist in {name} "
                              f"(first: {', '.join(unexpected[:3])}); is it a checkpoint of this model?")
    needed = [key for key in module.state_dict() if not key.endswith("num_batches_tracked")]
    missing = [key for key in report.missing_keys if not key.endswith("num_batches_tracked")]
    if missing and (not allow_missing or len(missing) == len(needed)):
        raise CheckpointError(f"{source}: {len(missing)} of {len(needed)} {name} weights are not in the file "
                              f"(first: {', '.join(missing[:3])}); is it a checkpoint of this model?")


def _download_torchvision(source: str) -> dict[str, Any]:
    from torchvision import models

    name = source[len(TORCHVISION_SCHEME):]
    try:
        if "." in name:
            weights = models.get_weight(name)
        else:
            available = models.get_model_weights(name)
            weights = getattr(available, "IMAGENET1K_V1", None) or available.DEFAULT
    except (ValueError, KeyError, AttributeError) as exc:
        raise CheckpointError(f"{source}: unknown torchvision weights ({_one_line(exc)})") from exc
    filename = os.path.basename(weights.url)
    cache = os.path.join(torch.hub.get_dir(), "checkpoints")
    try:
        return torch.hub.load_state_dict_from_url(weights.url, map_location="cpu", progress=False, check_hash=True,
                                              weights_only=True)
    except Exception as exc:  # offline, proxy, truncated download: say how to proceed without the network
        raise CheckpointError(
            f"cannot download {source} from {weights.url} ({_one_line(exc)}); without network access, fetch "
            f"{filename} elsewhere and set pretrained to its local path, or copy it into {cache}/") from exc


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
