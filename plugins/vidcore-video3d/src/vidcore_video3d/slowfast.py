"""SlowOnly and SlowFast: mmaction2's `ResNet3dPathway`, `ResNet3dSlowOnly` and `ResNet3dSlowFast`, with
mmaction2's arguments and state-dict layout (`slow_path.layer1.0.conv1.conv.weight`,
`slow_path.conv1_lateral.conv.weight`, `slow_path.layer1_lateral.conv.weight`, `fast_path...`)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .conv_module import ConvModule3d
from .resnet3d import ResNet3d, _load_3d

__all__ = ["ResNet3dPathway", "ResNet3dSlowOnly", "ResNet3dSlowFast"]


class ResNet3dPathway(ResNet3d):
    """A ResNet3d pathway of SlowFast. With `lateral`, the slow pathway takes the fast pathway's features
    through time-strided convolutions (`conv1_lateral`, `layer{i}_lateral`; kernel `fusion_kernel` x 1 x 1,
    stride `speed_ratio`) and concatenates them to its own, so its stages have more input channels.
    `lateral_inv` (transposed convolutions) is not supported. Other arguments are ResNet3d's."""

    def __init__(self, lateral: bool = False, lateral_inv: bool = False, lateral_norm: bool = False,
                 speed_ratio: int = 8, channel_ratio: int = 8, fusion_kernel: int = 5, lateral_infl: int = 2,
                 lateral_activate: Sequence[int] = (1, 1, 1, 1), **kwargs: Any) -> None:
        if lateral_inv:
            raise ValueError(f"{type(self).__name__} lateral_inv (deconvolution laterals) is not supported by "
                             "vidcore-video3d")
        self.lateral = lateral
        self.lateral_norm = lateral_norm
        self.speed_ratio = speed_ratio
        self.channel_ratio = channel_ratio
        self.fusion_kernel = fusion_kernel
        self.lateral_infl = lateral_infl
        self.lateral_activate = tuple(lateral_activate)
        super().__init__(**kwargs)

    def _lateral_inplanes(self) -> list[int]:
        """Channels the laterals add to each stage's input (mmaction2's arithmetic, for its layouts)."""
        expansion = 1 if self.depth < 50 else 4
        inplanes = []
        for index in range(self.num_stages):
            if expansion % 2 == 0:
                planes = self.base_channels * 2 ** index * (expansion // 2) ** (index > 0)
            else:
                planes = self.base_channels * 2 ** index // 2 ** (index > 0)
            active = self.lateral and self.lateral_activate[index]
            inplanes.append(planes * self.lateral_infl // self.channel_ratio if active else 0)
        return inplanes

    def _make_laterals(self) -> None:
        self.lateral_connections: list[str] = []
        if not self.lateral:
            return
        norm = {"norm": self.lateral_norm, "act": self.lateral_norm}
        kernel = (self.fusion_kernel, 1, 1)
        stride = (self.speed_ratio, 1, 1)
        padding = ((self.fusion_kernel - 1) // 2, 0, 0)
        if self.lateral_activate[0]:
            self.conv1_lateral = ConvModule3d(self.base_channels // self.channel_ratio,
                                              self.base_channels * self.lateral_infl // self.channel_ratio,
                                              kernel, stride, padding, **norm)
        expansion = 4 if self.depth >= 50 else 1
        for index in range(len(self.stage_blocks) - 1):
            if not self.lateral_activate[index + 1]:
                continue
            channels = self.base_channels * 2 ** index * expansion
            name = f"layer{index + 1}_lateral"
            self.add_module(name, ConvModule3d(channels // self.channel_ratio,
                                               channels * self.lateral_infl // self.channel_ratio,
                                               kernel, stride, padding, **norm))
            self.lateral_connections.append(name)

    def _frozen_modules(self) -> list[nn.Module]:
        modules = super()._frozen_modules()
        if self.lateral:
            for index in range(1, self.frozen_stages + 1):
                name = f"layer{index}_lateral"
                if index != len(self.res_layers) and hasattr(self, name):
                    modules.append(getattr(self, name))
        return modules


class ResNet3dSlowOnly(ResNet3dPathway):
    """SlowOnly: ResNet3d with a 1x7x7 stem, 2D blocks in stages 1-2 and inflated ones (3x1x1) in stages 3-4,
    and no temporal pool (mmaction2's defaults). No lateral connections."""

    def __init__(self, conv1_kernel: Sequence[int] = (1, 7, 7), conv1_stride_t: int = 1, pool1_stride_t: int = 1,
                 inflate: Sequence[Any] | int = (0, 0, 1, 1), with_pool2: bool = False, **kwargs: Any) -> None:
        if kwargs.get("lateral"):
            raise ValueError("ResNet3dSlowOnly has no lateral connections (lateral must be false)")
        super().__init__(conv1_kernel=conv1_kernel, conv1_stride_t=conv1_stride_t, pool1_stride_t=pool1_stride_t,
                         inflate=inflate, with_pool2=with_pool2, **kwargs)


_SLOW_DEFAULT = {"type": "resnet3d", "depth": 50, "pretrained": None, "lateral": True, "conv1_kernel": (1, 7, 7),
                 "conv1_stride_t": 1, "pool1_stride_t": 1, "inflate": (0, 0, 1, 1)}
_FAST_DEFAULT = {"type": "resnet3d", "depth": 50, "pretrained": None, "lateral": False, "base_channels": 8,
                 "conv1_kernel": (5, 7, 7), "conv1_stride_t": 1, "pool1_stride_t": 1}


class ResNet3dSlowFast(nn.Module):
    """SlowFast: a slow pathway on every `resample_rate`-th frame and a fast, thin one on `speed_ratio` times
    as many frames, joined by the slow pathway's laterals; returns `(slow_maps, fast_maps)`.

    `slow_pathway`/`fast_pathway` are mmaction2's pathway configs (`type: resnet3d` and ResNet3dPathway's
    arguments). `pretrained`: a 3D checkpoint of the whole backbone (this layout), loaded strictly."""

    vidcore_raw_args = ("slow_pathway", "fast_pathway", "init_cfg")

    def __init__(self, pretrained: str | None = None, resample_rate: int = 8, speed_ratio: int = 8,
                 channel_ratio: int = 8, slow_pathway: Mapping[str, Any] | None = None,
                 fast_pathway: Mapping[str, Any] | None = None, channels_last: bool = False,
                 init_cfg: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None) -> None:
        super().__init__()
        if resample_rate % speed_ratio:
            raise ValueError(f"ResNet3dSlowFast resample_rate ({resample_rate}) must be a multiple of speed_ratio "
                             f"({speed_ratio})")
        self.pretrained = pretrained
        self.resample_rate = resample_rate
        self.speed_ratio = speed_ratio
        self.channel_ratio = channel_ratio
        self.channels_last = channels_last
        slow = dict(_SLOW_DEFAULT if slow_pathway is None else slow_pathway)
        if slow.get("lateral"):
            slow.update(speed_ratio=speed_ratio, channel_ratio=channel_ratio)
        self.slow_path = _build_pathway(slow, "slow_pathway")
        self.fast_path = _build_pathway(dict(_FAST_DEFAULT if fast_pathway is None else fast_pathway),
                                        "fast_pathway")
        from vidcore_tsn import apply_init_cfg

        apply_init_cfg(self, init_cfg, "backbone.init_cfg")
        if pretrained:
            _load_3d(self, pretrained)
        if channels_last:
            self.to(memory_format=torch.channels_last_3d)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`(N, C, T, H, W)` -> `(slow maps, fast maps)`."""
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last_3d)
        x_slow = F.interpolate(x, mode="nearest", scale_factor=(1.0 / self.resample_rate, 1.0, 1.0))
        x_slow = self.slow_path.maxpool(self.slow_path.conv1(x_slow))
        x_fast = F.interpolate(x, mode="nearest",
                               scale_factor=(1.0 / (self.resample_rate // self.speed_ratio), 1.0, 1.0))
        x_fast = self.fast_path.maxpool(self.fast_path.conv1(x_fast))
        if self.slow_path.lateral:
            x_slow = torch.cat((x_slow, self.slow_path.conv1_lateral(x_fast)), dim=1)
        for index, layer_name in enumerate(self.slow_path.res_layers):
            x_slow = getattr(self.slow_path, layer_name)(x_slow)
            x_fast = getattr(self.fast_path, layer_name)(x_fast)
            if index != len(self.slow_path.res_layers) - 1 and self.slow_path.lateral:
                lateral = getattr(self.slow_path, self.slow_path.lateral_connections[index])
                x_slow = torch.cat((x_slow, lateral(x_fast)), dim=1)
        return x_slow, x_fast


def _build_pathway(cfg: dict[str, Any], key: str) -> ResNet3dPathway:
    kind = cfg.pop("type", "resnet3d")
    if kind != "resnet3d":
        raise ValueError(f"ResNet3dSlowFast {key}.type must be 'resnet3d', got {kind!r}")
    return ResNet3dPathway(**cfg)
