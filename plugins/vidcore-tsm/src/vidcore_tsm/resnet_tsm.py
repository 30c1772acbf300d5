"""`ResNetTSM`: vidcore-tsn's torchvision ResNet with the temporal shift module in its residual blocks.

The shift is attached as forward pre-hooks, not as wrapper modules, so the state-dict keys stay
torchvision's (`layer1.0.conv1.weight`): torchvision ImageNet weights and TSN checkpoints load unchanged.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from torch import nn
from vidcore_tsn import ResNet

from .shift import TemporalPoolHook, TemporalShiftHook

__all__ = ["ResNetTSM", "SHIFT_PLACES"]

SHIFT_PLACES = ("blockres", "block")


class ResNetTSM(ResNet):
    """ResNet-`depth` whose blocks exchange features between the `num_segments` frames of each clip.

    Inputs are `(N * num_segments, 3, H, W)`: the frames of N clips, each clip's frames consecutive.
    - `shift_place`: 'blockres' shifts the input of each block's residual branch (before `conv1`; the
      identity path is not shifted), 'block' shifts the input of the whole block. With 'blockres' and a
      layer3 of 23 or more blocks (ResNet-101/152) every other block is shifted, as in TSM.
    - `shift_div`: 1/shift_div of the channels moves back in time, 1/shift_div forward (default 8).
    - `temporal_pool`: max-pool over time before layer2, halving the frames (layers 2-4 then shift over
      num_segments // 2 frames; the head must be told with its own `temporal_pool`).
    - `is_shift: false` leaves the network a plain ResNet (with the temporal pool, if set).
    - `non_local` blocks are not supported: anything but all zeros is refused.
    Every other argument is `vidcore_tsn.ResNet`'s (`pretrained: torchvision://resnet50`, `frozen_stages`,
    `norm_eval`, `partial_bn`, `channels_last`, ...).
    """

    vidcore_raw_args = ("init_cfg", "non_local_cfg")
    # mmaction2 wraps shifted and pooled modules (`.net`): their keys map onto torchvision's names.
    # Applied in order (vidcore-tsn's `vidcore convert-checkpoint` reads this attribute).
    mmaction2_key_rewrites = (
        (r"^(layer\d+)\.net\.", r"\1."),  # temporal_pool: layer2 wrapped
        (r"^(layer\d+\.\d+)\.net\.", r"\1."),  # shift_place 'block': each block wrapped
        (r"^(layer\d+\.\d+\.conv\d+\.conv)\.net\.", r"\1."),  # shift_place 'blockres': conv1's conv wrapped
    )

    def __init__(self, depth: int = 50, num_segments: int = 8, is_shift: bool = True, shift_div: int = 8,
                 shift_place: str = "blockres", temporal_pool: bool = False,
                 non_local: Sequence[int] | Sequence[Sequence[int]] = (0, 0, 0, 0),
                 non_local_cfg: Mapping[str, Any] | None = None, pretrained2d: bool = True,
                 pretrained: str | None = None, out_indices: Sequence[int] = (3,), frozen_stages: int = -1,
                 norm_eval: bool = False, partial_bn: bool = False, channels_last: bool = False,
                 zero_init_residual: bool = False,
                 init_cfg: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None) -> None:
        if not isinstance(num_segments, int) or num_segments < 1:
            raise ValueError(f"ResNetTSM num_segments must be a positive integer, got {num_segments!r}")
        if shift_place not in SHIFT_PLACES:
            raise ValueError(f"ResNetTSM shift_place must be one of {list(SHIFT_PLACES)}, got {shift_place!r}")
        if not isinstance(shift_div, int) or shift_div < 2:
            raise ValueError(f"ResNetTSM shift_div must be an integer >= 2, got {shift_div!r}")
        if temporal_pool and num_segments < 2:
            raise ValueError(f"ResNetTSM temporal_pool needs num_segments >= 2, got {num_segments}")
        if _any_non_local(non_local) or non_local_cfg:
            raise ValueError("ResNetTSM: non-local blocks (non_local, non_local_cfg) are not supported by vidcore-tsm; "
                             "set non_local to [0, 0, 0, 0] and leave non_local_cfg empty")
        if not pretrained2d:
            raise ValueError("ResNetTSM pretrained2d: false is not supported: `pretrained` is always a 2D "
                             "(torchvision layout) checkpoint")
        super().__init__(depth=depth, pretrained=pretrained, out_indices=out_indices, frozen_stages=frozen_stages,
                         norm_eval=norm_eval, partial_bn=partial_bn, channels_last=channels_last,
                         zero_init_residual=zero_init_residual, init_cfg=init_cfg)
        self.num_segments = num_segments
        self.is_shift = is_shift
        self.shift_div = shift_div
        self.shift_place = shift_place
        self.temporal_pool = temporal_pool
        layers = (self.layer1, self.layer2, self.layer3, self.layer4)
        pooled = num_segments // 2 if temporal_pool else num_segments
        if is_shift:
            every = 2 if shift_place == "blockres" and len(self.layer3) >= 23 else 1
            for index, layer in enumerate(layers):
                hook = TemporalShiftHook(num_segments if index == 0 else pooled, shift_div)
                for position, block in enumerate(layer):
                    if shift_place == "block":
                        block.register_forward_pre_hook(hook)
                    elif position % every == 0:
                        block.conv1.register_forward_pre_hook(hook)
        if temporal_pool:
            self.layer2.register_forward_pre_hook(TemporalPoolHook(num_segments))

    def extra_repr(self) -> str:
        return (f"num_segments={self.num_segments}, is_shift={self.is_shift}, shift_div={self.shift_div}, "
                f"shift_place={self.shift_place!r}, temporal_pool={self.temporal_pool}")


def _any_non_local(non_local: Any) -> bool:
    if isinstance(non_local, (list, tuple)):
        return any(_any_non_local(item) for item in non_local)
    return bool(non_local)


def shifted_modules(model: nn.Module) -> list[str]:
    """Names of the modules whose input is shifted (for inspection and tests)."""
    return [name for name, module in model.named_modules()
            if any(isinstance(hook, TemporalShiftHook) for hook in module._forward_pre_hooks.values())]
