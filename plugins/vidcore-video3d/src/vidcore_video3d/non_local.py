"""`NonLocal3d`: the non-local block of mmaction2's `*-nl-*` recipes (mmcv's NonLocal3d), with mmcv's modes,
arguments and state-dict layout (`non_local_block.g.0.conv.weight`, `...theta.conv.bias`, `...conv_out.bn.*`)."""

from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import nn

from .config_checks import NON_LOCAL_MODES
from .conv_module import ConvModule3d

__all__ = ["NonLocal3d"]


class NonLocal3d(nn.Module):
    """`x + conv_out(attention(x) @ g(x))` over all T x H x W positions.

    - `mode`: 'embedded_gaussian' (softmax of theta(x)·phi(x), divided by sqrt(channels) with `use_scale`),
      'dot_product' (theta(x)·phi(x) divided by the number of positions) or 'gaussian' (softmax of x·x,
      no theta/phi convolutions).
    - `sub_sample`: g and phi are max-pooled 1x2x2 (fewer keys, as in the recipes).
    - `reduction`: the embedding has `in_channels // reduction` channels.
    - `norm_cfg`: BN3d after `conv_out` (the recipes); it starts at zero, so the block starts as the identity.
    """

    def __init__(self, in_channels: int, reduction: int = 2, use_scale: bool = True, sub_sample: bool = False,
                 mode: str = "embedded_gaussian", norm_cfg: Mapping[str, Any] | None = None,
                 conv_cfg: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        if mode not in NON_LOCAL_MODES:
            raise ValueError(f"non_local_cfg.mode must be one of {list(NON_LOCAL_MODES)}, got {mode!r}")
        if conv_cfg is not None and dict(conv_cfg).get("type", "Conv3d") != "Conv3d":
            raise ValueError(f"non_local_cfg.conv_cfg: only Conv3d is supported, got {dict(conv_cfg)}")
        if norm_cfg is not None and dict(norm_cfg).get("type", "BN3d") not in ("BN3d", "BN"):
            raise ValueError(f"non_local_cfg.norm_cfg: only BN3d is supported, got {dict(norm_cfg)}")
        self.in_channels = in_channels
        self.inter_channels = max(in_channels // reduction, 1)
        self.use_scale = use_scale
        self.mode = mode
        self.sub_sample = sub_sample
        with_norm = norm_cfg is not None
        self.g = _Embedding(in_channels, self.inter_channels)
        self.conv_out = ConvModule3d(self.inter_channels, in_channels, 1, norm=with_norm, act=False,
                                     norm_requires_grad=bool(dict(norm_cfg or {}).get("requires_grad", True)))
        if not with_norm:  # mmcv's ConvModule has a bias when there is no norm
            self.conv_out.conv = nn.Conv3d(self.inter_channels, in_channels, 1)
        if mode != "gaussian":
            self.theta = _Embedding(in_channels, self.inter_channels)
            self.phi = _Embedding(in_channels, self.inter_channels)
        for module in [self.g] + ([self.theta, self.phi] if mode != "gaussian" else []):
            nn.init.normal_(module.conv.weight, 0, 0.01)
            nn.init.zeros_(module.conv.bias)
        zeroed = self.conv_out.bn if with_norm else self.conv_out.conv
        nn.init.zeros_(zeroed.weight)
        nn.init.zeros_(zeroed.bias)
        if sub_sample:
            pool = nn.MaxPool3d(kernel_size=(1, 2, 2))
            self.g = nn.Sequential(self.g, pool)
            self.phi = nn.Sequential(self.phi, pool) if mode != "gaussian" else pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        values = self.g(x).reshape(n, self.inter_channels, -1).transpose(1, 2)
        if self.mode == "gaussian":
            queries = x.reshape(n, self.in_channels, -1).transpose(1, 2)
            keys = (self.phi(x) if self.sub_sample else x).reshape(n, self.in_channels, -1)
        else:
            queries = self.theta(x).reshape(n, self.inter_channels, -1).transpose(1, 2)
            keys = self.phi(x).reshape(n, self.inter_channels, -1)
        weights = torch.matmul(queries, keys)
        if self.mode == "dot_product":
            weights = weights / weights.shape[-1]
        else:
            if self.mode == "embedded_gaussian" and self.use_scale:
                weights = weights / queries.shape[-1] ** 0.5
            weights = weights.softmax(dim=-1)
        y = torch.matmul(weights, values).transpose(1, 2).reshape(n, self.inter_channels, *x.shape[2:])
        return x + self.conv_out(y)


class _Embedding(nn.Module):
    """A 1x1x1 convolution with a bias, named as mmcv's ConvModule names it (`conv`)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv3d(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)
