"""Inflate a 2D ResNet's weights (torchvision layout) into a 3D ResNet in mmaction2's layout, as mmaction2's
`pretrained2d` does: each 2D kernel is repeated over the 3D kernel's `t` taps and divided by `t` (a still
video then gives the 2D network's activations), batch norms are copied."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn
from vidcore import CheckpointError

from .conv_module import ConvModule3d

__all__ = ["inflate_2d_state", "two_d_names"]


def two_d_names(name: str) -> tuple[str, str]:
    """torchvision's names of the conv and norm that the ConvModule3d `name` inflates
    (`layer1.0.conv2` <- `layer1.0.conv2`, `layer1.0.bn2`; `layer1.0.downsample` <- `downsample.0`, `.1`)."""
    if name.split(".")[-1] == "downsample":
        return f"{name}.0", f"{name}.1"
    head, _, last = name.rpartition(".")
    return name, (f"{head}." if head else "") + last.replace("conv", "bn")


def inflate_2d_state(model: nn.Module, state_2d: Mapping[str, torch.Tensor], source: str) -> dict[str, torch.Tensor]:
    """The state of every ConvModule3d of `model` built from `state_2d` (lateral connections and non-local
    blocks, which a 2D ResNet lacks, keep their own initialisation).

    A 3D convolution with more input channels than the 2D one (a SlowFast slow pathway, whose lateral
    connections add channels) gets zero weights for the extra channels, as in mmaction2. Anything else that
    does not fit is a CheckpointError naming `source` and the key."""
    inflated: dict[str, torch.Tensor] = {}
    for name, module in model.named_modules():
        if not isinstance(module, ConvModule3d) or "lateral" in name or "non_local_block" in name:
            continue
        conv_name, bn_name = two_d_names(name)
        weight_2d = _take(state_2d, f"{conv_name}.weight", source)
        weight_3d = module.conv.weight
        out_3d, in_3d, kernel_t = weight_3d.shape[:3]
        if (weight_2d.dim() != 4 or weight_2d.shape[0] != out_3d or weight_2d.shape[2:] != weight_3d.shape[3:]
                or weight_2d.shape[1] > in_3d):
            raise CheckpointError(f"{source}: '{conv_name}.weight' has shape {tuple(weight_2d.shape)}, which does not "
                                  f"inflate into {name}.conv.weight of shape {tuple(weight_3d.shape)}")
        if weight_2d.shape[1] < in_3d:
            pad = weight_2d.new_zeros((out_3d, in_3d - weight_2d.shape[1], *weight_2d.shape[2:]))
            weight_2d = torch.cat((weight_2d, pad), dim=1)
        inflated[f"{name}.conv.weight"] = weight_2d.unsqueeze(2).expand_as(weight_3d) / kernel_t
        if module.bn is None:
            continue
        for key, value in module.bn.state_dict().items():
            full = f"{bn_name}.{key}"
            if key == "num_batches_tracked" and full not in state_2d:
                continue
            tensor = _take(state_2d, full, source)
            if tensor.shape != value.shape:
                raise CheckpointError(f"{source}: '{full}' has shape {tuple(tensor.shape)} but {name}.bn.{key} "
                                      f"has {tuple(value.shape)}")
            inflated[f"{name}.bn.{key}"] = tensor
    return inflated


def _take(state: Mapping[str, torch.Tensor], key: str, source: str) -> torch.Tensor:
    if key not in state:
        raise CheckpointError(f"{source}: 2D weight '{key}' is missing; pretrained2d needs a torchvision-layout "
                              "ResNet of the same depth")
    return state[key]
