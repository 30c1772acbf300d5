"""`ResNet3d`: mmaction2's 3D ResNet (I3D and the base of SlowOnly/SlowFast), with its arguments, its
semantics and its state-dict layout (`conv1.conv.weight`, `layer1.0.conv2.bn.running_mean`,
`layer1.0.downsample.conv.weight`), so converted mmaction2 checkpoints load as they are."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
import torch.utils.checkpoint as activation_checkpoint
from torch import nn
from vidcore import CheckpointError
from vidcore_tsn import apply_init_cfg, batch_norms, freeze

from .conv_module import ConvModule3d
from .inflation import inflate_2d_state
from .non_local import NonLocal3d

__all__ = ["ResNet3d", "BasicBlock3d", "Bottleneck3d", "INFLATE_STYLES"]

INFLATE_STYLES = ("3x1x1", "3x3x3")


class BasicBlock3d(nn.Module):
    """Two 3x3 convolutions (3x3x3 when inflated, 1x3x3 otherwise) and the identity."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, spatial_stride: int = 1, temporal_stride: int = 1,
                 dilation: int = 1, downsample: nn.Module | None = None, style: str = "pytorch",
                 inflate: bool = True, inflate_style: str = "3x1x1", with_cp: bool = False,
                 norm_requires_grad: bool = True, non_local_cfg: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        t = 3 if inflate else 1
        norm = {"norm_requires_grad": norm_requires_grad}
        self.conv1 = ConvModule3d(inplanes, planes, (t, 3, 3), (temporal_stride, spatial_stride, spatial_stride),
                                  (t // 2, dilation, dilation), (1, dilation, dilation), **norm)
        self.conv2 = ConvModule3d(planes, planes, (t, 3, 3), 1, (t // 2, 1, 1), act=False, **norm)
        self.downsample = downsample
        self.relu = nn.ReLU(inplace=True)
        self.with_cp = with_cp
        self._add_non_local(planes * self.expansion, non_local_cfg)

    def _add_non_local(self, channels: int, non_local_cfg: Mapping[str, Any] | None) -> None:
        """A non-local block after the residual sum (`non_local_cfg` given: this block has one)."""
        if non_local_cfg is not None:
            self.non_local_block = NonLocal3d(channels, **dict(non_local_cfg))

    def _residual(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.conv2(self.conv1(x)) + identity

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.with_cp and x.requires_grad:
            out = self.relu(activation_checkpoint.checkpoint(self._residual, x, use_reentrant=False))
        else:
            out = self.relu(self._residual(x))
        non_local = getattr(self, "non_local_block", None)
        return out if non_local is None else non_local(out)


class Bottleneck3d(BasicBlock3d):
    """1x1, 3x3 and 1x1 convolutions; inflation puts the temporal taps in the first (`3x1x1`) or the second
    (`3x3x3`) convolution. `style='pytorch'` strides in the 3x3 convolution, `'caffe'` in the first."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, spatial_stride: int = 1, temporal_stride: int = 1,
                 dilation: int = 1, downsample: nn.Module | None = None, style: str = "pytorch",
                 inflate: bool = True, inflate_style: str = "3x1x1", with_cp: bool = False,
                 norm_requires_grad: bool = True, non_local_cfg: Mapping[str, Any] | None = None) -> None:
        nn.Module.__init__(self)
        strides = [(1, 1, 1), (temporal_stride, spatial_stride, spatial_stride)]
        if style == "caffe":
            strides.reverse()
        if not inflate:
            kernel1, pad1, kernel2, pad2 = (1, 1, 1), (0, 0, 0), (1, 3, 3), (0, dilation, dilation)
        elif inflate_style == "3x1x1":
            kernel1, pad1, kernel2, pad2 = (3, 1, 1), (1, 0, 0), (1, 3, 3), (0, dilation, dilation)
        else:
            kernel1, pad1, kernel2, pad2 = (1, 1, 1), (0, 0, 0), (3, 3, 3), (1, dilation, dilation)
        norm = {"norm_requires_grad": norm_requires_grad}
        self.conv1 = ConvModule3d(inplanes, planes, kernel1, strides[0], pad1, **norm)
        self.conv2 = ConvModule3d(planes, planes, kernel2, strides[1], pad2, (1, dilation, dilation), **norm)
        self.conv3 = ConvModule3d(planes, planes * self.expansion, 1, act=False, **norm)
        self.downsample = downsample
        self.relu = nn.ReLU(inplace=True)
        self.with_cp = with_cp
        self._add_non_local(planes * self.expansion, non_local_cfg)

    def _residual(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.conv3(self.conv2(self.conv1(x))) + identity


_ARCH: dict[int, tuple[type[BasicBlock3d], tuple[int, ...]]] = {
    18: (BasicBlock3d, (2, 2, 2, 2)),
    34: (BasicBlock3d, (3, 4, 6, 3)),
    50: (Bottleneck3d, (3, 4, 6, 3)),
    101: (Bottleneck3d, (3, 4, 23, 3)),
    152: (Bottleneck3d, (3, 8, 36, 3)),
}
# mmcv settings that are the only ones ResNet3d builds; anything else is refused rather than ignored.
_CONV_TYPES = ("Conv3d", "Conv")
_NORM_TYPES = ("BN3d", "BN")
_ACT_TYPES = ("ReLU",)


class ResNet3d(nn.Module):
    """mmaction2's ResNet3d on `(N, C, T, H, W)` clips; returns the maps of the stages in `out_indices`.

    The arguments are mmaction2's, with its defaults (I3D: `conv1_kernel=(3, 7, 7)`, every block
    inflated, `inflate_style='3x1x1'`, a temporal max-pool after layer1 (`with_pool2`)):
    - `pretrained` with `pretrained2d: true`: a 2D ResNet of the same depth, `torchvision://resnet50` or a
      local torchvision-layout file (read by vidcore-tsn's `ResNet`), inflated into 3D; with
      `pretrained2d: false`: a 3D checkpoint in this layout (a vidcore recognizer checkpoint's `backbone.*`
      or a bare state dict), loaded strictly.
    - `inflate`: per stage, 1 or 0, or per block a list (1: temporal kernel 3, 0: 1).
    - `conv_cfg`/`norm_cfg`/`act_cfg` accept mmaction2's values for Conv3d, BN3d (`requires_grad: false`
      freezes the norm weights) and ReLU only.
    - `non_local`: per stage, or per block a list, 1 puts a NonLocal3d(`**non_local_cfg`) after the block.
    - `frozen_stages`, `norm_eval`, `zero_init_residual`, `with_cp` (activation checkpointing) as in mmaction2;
      `channels_last: true` keeps the weights channels_last_3d and converts the input.
    """

    vidcore_raw_args = ("init_cfg", "conv_cfg", "norm_cfg", "act_cfg", "non_local_cfg")

    def __init__(self, depth: int = 50, pretrained: str | None = None, stage_blocks: Sequence[int] | None = None,
                 pretrained2d: bool = True, in_channels: int = 3, num_stages: int = 4, base_channels: int = 64,
                 out_indices: Sequence[int] = (3,), spatial_strides: Sequence[int] = (1, 2, 2, 2),
                 temporal_strides: Sequence[int] = (1, 1, 1, 1), dilations: Sequence[int] = (1, 1, 1, 1),
                 conv1_kernel: Sequence[int] = (3, 7, 7), conv1_stride_s: int = 2, conv1_stride_t: int = 1,
                 pool1_stride_s: int = 2, pool1_stride_t: int = 1, with_pool1: bool = True,
                 with_pool2: bool = True, style: str = "pytorch", frozen_stages: int = -1,
                 inflate: Sequence[Any] | int = (1, 1, 1, 1), inflate_style: str = "3x1x1",
                 conv_cfg: Mapping[str, Any] | None = None, norm_cfg: Mapping[str, Any] | None = None,
                 act_cfg: Mapping[str, Any] | None = None, norm_eval: bool = False, with_cp: bool = False,
                 non_local: Sequence[Any] | int = (0, 0, 0, 0), non_local_cfg: Mapping[str, Any] | None = None,
                 zero_init_residual: bool = True, channels_last: bool = False,
                 init_cfg: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        if depth not in _ARCH:
            raise ValueError(f"{name} depth must be one of {sorted(_ARCH)}, got {depth!r}")
        if not 1 <= num_stages <= 4:
            raise ValueError(f"{name} num_stages must be 1 to 4, got {num_stages!r}")
        if not out_indices or any(i not in range(num_stages) for i in out_indices):
            raise ValueError(f"{name} out_indices must be stage indices below num_stages={num_stages}, "
                             f"got {list(out_indices)!r}")
        for key, value in (("spatial_strides", spatial_strides), ("temporal_strides", temporal_strides),
                           ("dilations", dilations)):
            if len(value) < num_stages:
                raise ValueError(f"{name} {key} needs one value per stage ({num_stages}), got {list(value)!r}")
        if style not in ("pytorch", "caffe"):
            raise ValueError(f"{name} style must be 'pytorch' or 'caffe', got {style!r}")
        if inflate_style not in INFLATE_STYLES:
            raise ValueError(f"{name} inflate_style must be one of {list(INFLATE_STYLES)}, got {inflate_style!r}")
        if not -1 <= frozen_stages <= num_stages:
            raise ValueError(f"{name} frozen_stages must be -1 (none) to {num_stages}, got {frozen_stages!r}")
        _check_mmcv_cfg(name, "conv_cfg", conv_cfg, _CONV_TYPES)
        _check_mmcv_cfg(name, "norm_cfg", norm_cfg, _NORM_TYPES, extra=("requires_grad",))
        _check_mmcv_cfg(name, "act_cfg", act_cfg, _ACT_TYPES, extra=("inplace",))
        block, default_blocks = _ARCH[depth]
        stage_blocks = tuple(stage_blocks) if stage_blocks is not None else default_blocks[:num_stages]
        if len(stage_blocks) != num_stages:
            raise ValueError(f"{name} stage_blocks needs {num_stages} entries, got {list(stage_blocks)!r}")
        self.depth = depth
        self.pretrained = pretrained
        self.pretrained2d = pretrained2d
        self.base_channels = base_channels
        self.num_stages = num_stages
        self.stage_blocks = stage_blocks
        self.out_indices = tuple(out_indices)
        self.with_pool1 = with_pool1
        self.with_pool2 = with_pool2
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.zero_init_residual = zero_init_residual
        self.channels_last = channels_last
        self.init_cfg = init_cfg
        norm_requires_grad = bool((norm_cfg or {}).get("requires_grad", True))
        kernel = tuple(conv1_kernel)
        self.conv1 = ConvModule3d(in_channels, base_channels, kernel, (conv1_stride_t, conv1_stride_s, conv1_stride_s),
                                  tuple((k - 1) // 2 for k in kernel), norm_requires_grad=norm_requires_grad)
        self.maxpool = nn.MaxPool3d((1, 3, 3), (pool1_stride_t, pool1_stride_s, pool1_stride_s), (0, 1, 1))
        self.pool2 = nn.MaxPool3d((2, 1, 1), (2, 1, 1))
        inflations = _per_stage(inflate, num_stages, "inflate", name)
        non_locals = _per_stage(non_local, num_stages, "non_local", name)
        lateral = self._lateral_inplanes()
        self.res_layers: list[str] = []
        inplanes = base_channels
        for index, blocks in enumerate(stage_blocks):
            planes = base_channels * 2 ** index
            layer = _make_res_layer(block, inplanes + lateral[index], planes, blocks, spatial_strides[index],
                                    temporal_strides[index], dilations[index], style, inflations[index],
                                    inflate_style, with_cp, norm_requires_grad, non_locals[index],
                                    dict(non_local_cfg or {}))
            inplanes = planes * block.expansion
            self.add_module(f"layer{index + 1}", layer)
            self.res_layers.append(f"layer{index + 1}")
        self.feat_dim = block.expansion * base_channels * 2 ** (len(stage_blocks) - 1)
        self._make_laterals()
        self.init_weights()
        freeze(self._frozen_modules())
        if channels_last:
            self.to(memory_format=torch.channels_last_3d)

    def _lateral_inplanes(self) -> list[int]:
        """Extra input channels per stage (SlowFast's lateral connections); none here."""
        return [0] * self.num_stages

    def _make_laterals(self) -> None:
        """Add lateral connections (SlowFast's slow pathway) before the weights are initialised; none here."""

    def init_weights(self) -> None:
        """mmaction2's initialisation (Kaiming convolutions, unit norms, zero last norm of each residual branch),
        then `init_cfg`, then `pretrained` (inflated 2D weights or a 3D checkpoint)."""
        non_local = {id(m) for block in self.modules() if isinstance(block, NonLocal3d) for m in block.modules()}
        for module in self.modules():
            if id(module) in non_local:  # keeps its own initialisation: the block starts as the identity
                continue
            if isinstance(module, nn.Conv3d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.modules.batchnorm._BatchNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        if self.zero_init_residual:
            for module in self.modules():
                if isinstance(module, Bottleneck3d):
                    nn.init.zeros_(module.conv3.bn.weight)
                elif isinstance(module, BasicBlock3d):
                    nn.init.zeros_(module.conv2.bn.weight)
        apply_init_cfg(self, self.init_cfg, "backbone.init_cfg")
        if self.pretrained:
            self.load_pretrained(self.pretrained)

    def load_pretrained(self, source: str) -> None:
        """Load `source` per `pretrained2d` (see the class docstring)."""
        if self.pretrained2d:
            from vidcore_tsn import ResNet

            state_2d = ResNet(depth=self.depth, pretrained=source).state_dict()
            self.load_state_dict(inflate_2d_state(self, state_2d, source), strict=False)
            return
        _load_3d(self, source)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """`(N, C, T, H, W)` -> the maps of the `out_indices` stages (one tensor for one stage)."""
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last_3d)
        x = self.conv1(x)
        if self.with_pool1:
            x = self.maxpool(x)
        outs = []
        for index, layer_name in enumerate(self.res_layers):
            x = getattr(self, layer_name)(x)
            if index == 0 and self.with_pool2:
                x = self.pool2(x)
            if index in self.out_indices:
                outs.append(x)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def train(self, mode: bool = True) -> ResNet3d:
        """Switch mode, then put frozen stages and (with `norm_eval`) every norm layer back in eval mode."""
        super().train(mode)
        freeze(self._frozen_modules())
        if mode and self.norm_eval:
            for norm in batch_norms(self):
                norm.eval()
        return self

    def _frozen_modules(self) -> list[nn.Module]:
        if self.frozen_stages < 0:
            return []
        return [self.conv1, *(getattr(self, f"layer{i}") for i in range(1, self.frozen_stages + 1))]


def _make_res_layer(block: type[BasicBlock3d], inplanes: int, planes: int, blocks: int, spatial_stride: int,
                    temporal_stride: int, dilation: int, style: str, inflate: int | Sequence[int], inflate_style: str,
                    with_cp: bool, norm_requires_grad: bool, non_local: int | Sequence[int] = 0,
                    non_local_cfg: Mapping[str, Any] | None = None) -> nn.Sequential:
    inflate = [inflate] * blocks if isinstance(inflate, int) else list(inflate)
    non_local = [non_local] * blocks if isinstance(non_local, int) else list(non_local)
    for key, values in (("inflate", inflate), ("non_local", non_local)):
        if len(values) != blocks:
            raise ValueError(f"ResNet3d {key}: a stage of {blocks} blocks needs {blocks} per-block values, "
                             f"got {list(values)!r}")
    downsample = None
    if spatial_stride != 1 or inplanes != planes * block.expansion:
        downsample = ConvModule3d(inplanes, planes * block.expansion, 1, (temporal_stride, spatial_stride,
                                  spatial_stride), act=False, norm_requires_grad=norm_requires_grad)
    layers = []
    for index in range(blocks):
        first = index == 0
        layers.append(block(inplanes if first else planes * block.expansion, planes,
                            spatial_stride if first else 1, temporal_stride if first else 1, dilation,
                            downsample if first else None, style, inflate[index] == 1, inflate_style, with_cp,
                            norm_requires_grad, non_local_cfg if non_local[index] == 1 else None))
    return nn.Sequential(*layers)


def _per_stage(value: Any, num_stages: int, key: str, name: str) -> list[Any]:
    """mmaction2's `_ntuple`: an int repeats per stage; a per-stage int repeats per block."""
    values = [value] * num_stages if isinstance(value, int) else list(value)
    if len(values) < num_stages:
        raise ValueError(f"{name} {key} needs one value per stage ({num_stages}), got {values!r}")
    return [v for v in values[:num_stages]]


def _check_mmcv_cfg(name: str, key: str, cfg: Mapping[str, Any] | None, types: tuple[str, ...],
                    extra: tuple[str, ...] = ()) -> None:
    if cfg is None:
        return
    cfg = dict(cfg)
    kind = cfg.pop("type", types[0])
    unknown = sorted(set(cfg) - set(extra))
    if kind not in types or unknown:
        raise ValueError(f"{name} {key}: only {dict(type=types[0])} (with {', '.join(extra) or 'no other keys'}) is "
                         f"supported, got {dict(cfg, type=kind)}")


def _load_3d(module: nn.Module, source: str) -> None:
    """A 3D checkpoint of this layout into `module`, strictly; `backbone.*` keys of a recognizer are taken."""
    from vidcore.checkpoint import load_checkpoint, load_state_dict

    if source.startswith("torchvision://"):
        raise CheckpointError(f"{source}: torchvision weights are 2D; set pretrained2d: true to inflate them")
    data = load_checkpoint(source)
    state = data.get("state_dict", data) if isinstance(data.get("state_dict", data), Mapping) else data
    prefix = "backbone." if any(key.startswith("backbone.") for key in state) else None
    load_state_dict(module, state, strict=True, prefix=prefix, source=source)
