"""`ConvModule3d`: a 3D convolution with its batch norm and ReLU, named as mmcv's ConvModule names them
(`conv`, `bn`), so state dicts carry mmaction2's keys (`layer1.0.conv1.conv.weight`, `...conv1.bn.bias`)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

__all__ = ["ConvModule3d"]

Size3 = int | Sequence[int]


class ConvModule3d(nn.Module):
    """Conv3d (no bias) -> BatchNorm3d (optional) -> ReLU (optional)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Size3, stride: Size3 = 1,
                 padding: Size3 = 0, dilation: Size3 = 1, norm: bool = True, act: bool = True,
                 norm_requires_grad: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv3d(in_channels, out_channels, _triple(kernel_size), stride=_triple(stride),
                              padding=_triple(padding), dilation=_triple(dilation), bias=False)
        self.bn = nn.BatchNorm3d(out_channels) if norm else None
        if self.bn is not None and not norm_requires_grad:
            for parameter in self.bn.parameters():
                parameter.requires_grad = False
        self.activate = nn.ReLU(inplace=True) if act else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.activate is not None:
            x = self.activate(x)
        return x


def _triple(value: Size3) -> tuple[int, int, int]:
    if isinstance(value, int):
        return (value, value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 3:
        raise ValueError(f"expected an int or 3 ints (t, h, w), got {list(value)}")
    return value  # type: ignore[return-value]
