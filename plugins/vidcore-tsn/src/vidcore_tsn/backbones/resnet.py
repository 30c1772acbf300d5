"""ResNet backbone: torchvision's ResNet with its module layout kept as is, minus `avgpool` and `fc`.

State-dict keys are torchvision's (`conv1.weight`, `layer1.0.downsample.0.weight`, ...), so torchvision
ImageNet weights load unchanged and converted mmaction2 checkpoints map onto the same names.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck
from torchvision.models.resnet import ResNet as TorchvisionResNet
from vidcore import ConfigError

from ..weight_init import apply_init_cfg
from ..weights import load_into, read_state_dict
from .train_mode import batch_norms, freeze

__all__ = ["ResNet"]

_ARCH: dict[int, tuple[type[nn.Module], list[int]]] = {
    18: (BasicBlock, [2, 2, 2, 2]),
    34: (BasicBlock, [3, 4, 6, 3]),
    50: (Bottleneck, [3, 4, 6, 3]),
    101: (Bottleneck, [3, 4, 23, 3]),
    152: (Bottleneck, [3, 8, 36, 3]),
}


class ResNet(TorchvisionResNet):
    """torchvision ResNet-`depth` returning the feature maps of the stages in `out_indices` (0..3).

    - `pretrained`: `torchvision://resnet50` (torchvision ImageNet weights) or a local `.pth` in
      torchvision layout (`conv1.weight`) or a vidcore/recognizer checkpoint (`backbone.conv1.weight`).
    - `frozen_stages`: -1 trains everything; 0 freezes the stem (conv1, bn1); k freezes the stem and
      layer1..layer k (no gradients, norm layers kept in eval mode).
    - `norm_eval`: keep every BatchNorm in eval mode (running stats frozen) while training.
    - `partial_bn`: TSN's partial BN: every BatchNorm except the first is frozen (eval mode, no gradients).
    - `channels_last`: run convolutions in channels-last memory format (faster on recent CPUs and GPUs).
    - `in_channels`: channels of the input images, 3 for RGB; `2 * clip_len` for stacked optical flow (10 for
      TSN's 5 x/y frames). Pretrained RGB weights then initialise `conv1` by TSN's cross-modality
      pre-training: its filters averaged over the RGB channels and repeated for each input channel.
    """

    vidcore_raw_args = ("init_cfg",)

    def __init__(self, depth: int = 50, pretrained: str | None = None, out_indices: Sequence[int] = (3,),
                 frozen_stages: int = -1, norm_eval: bool = False, partial_bn: bool = False,
                 channels_last: bool = False, zero_init_residual: bool = False,
                 init_cfg: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None, in_channels: int = 3) -> None:
        if depth not in _ARCH:
            raise ValueError(f"ResNet depth must be one of {sorted(_ARCH)}, got {depth!r}")
        if not out_indices or any(i not in range(4) for i in out_indices):
            raise ValueError(f"ResNet out_indices must be stage indices in 0..3, got {list(out_indices)!r}")
        if not -1 <= frozen_stages <= 4:
            raise ValueError(f"ResNet frozen_stages must be -1 (none) to 4, got {frozen_stages!r}")
        if isinstance(in_channels, bool) or not isinstance(in_channels, int) or in_channels < 1:
            raise ValueError(f"ResNet in_channels must be a positive integer, got {in_channels!r}")
        block, layers = _ARCH[depth]
        super().__init__(block, layers, zero_init_residual=zero_init_residual)
        del self.avgpool, self.fc
        self.in_channels = in_channels
        if in_channels != 3:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
            nn.init.kaiming_normal_(self.conv1.weight, mode="fan_out", nonlinearity="relu")  # torchvision's init
        self.depth = depth
        self.pretrained = pretrained
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.partial_bn = partial_bn
        self.channels_last = channels_last
        self.feat_dim = 512 * block.expansion
        self.init_cfg = init_cfg
        self.init_weights()
        freeze(self._frozen_modules())
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def init_weights(self) -> None:
        """Apply `init_cfg`, then `pretrained` (torchvision's own initialisation ran in the constructor)."""
        apply_init_cfg(self, self.init_cfg, "backbone.init_cfg")
        if self.pretrained:
            state = read_state_dict(self.pretrained)
            if any(key.startswith("backbone.") for key in state):
                state = {key[len("backbone."):]: value for key, value in state.items() if key.startswith("backbone.")}
            state = {key: value for key, value in state.items() if not key.startswith("fc.")}
            state = self._fit_first_conv(state)
            load_into(self, state, self.pretrained, allow_unexpected=False)

    def _fit_first_conv(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """RGB `conv1` weights for an `in_channels` != 3 network: averaged over RGB, repeated per channel (TSN's
        cross-modality pre-training). Weights that already fit, or of another shape, are left to `load_into`."""
        weight = state.get("conv1.weight")
        if weight is None or weight.dim() != 4 or self.in_channels == 3 or weight.shape[1] != 3:
            return state
        if weight.shape[0] != self.conv1.weight.shape[0] or weight.shape[2:] != self.conv1.weight.shape[2:]:
            return state
        fitted = weight.mean(dim=1, keepdim=True).repeat(1, self.in_channels, 1, 1)
        return {**state, "conv1.weight": fitted}

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """`(B, in_channels, H, W)` images -> `(B, C, H/32, W/32)` for the default `out_indices=(3,)`; a tuple
        otherwise."""
        if x.dim() == 4 and x.shape[1] != self.in_channels:
            raise ConfigError(f"model.backbone: ResNet in_channels={self.in_channels}, but the inputs have "
                              f"{x.shape[1]} channels; stacked optical flow has 2 x clip_len channels (set "
                              "in_channels to that)")
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        outs = []
        for index, layer in enumerate((self.layer1, self.layer2, self.layer3, self.layer4)):
            x = layer(x)
            if index in self.out_indices:
                outs.append(x)
            if index >= max(self.out_indices):
                break
        return outs[0] if len(outs) == 1 else tuple(outs)

    def train(self, mode: bool = True) -> ResNet:
        """Switch mode, then put frozen stages and (per `norm_eval` / `partial_bn`) norm layers back in eval."""
        super().train(mode)
        freeze(self._frozen_modules())
        if mode and self.norm_eval:
            for norm in batch_norms(self):
                norm.eval()
        if mode and self.partial_bn:  # TSN's partial BN: only the first norm layer keeps learning
            freeze(batch_norms(self)[1:])
        return self

    def _frozen_modules(self) -> list[nn.Module]:
        if self.frozen_stages < 0:
            return []
        stages = [self.layer1, self.layer2, self.layer3, self.layer4][: self.frozen_stages]
        return [self.conv1, self.bn1, *stages]
