"""torchvision's video classification networks as vidcore backbones, with torchvision's Kinetics-400 weights.

`TorchvisionVideo(arch=...)` builds torchvision's own model with its classifier replaced by an identity,
so the state-dict keys are torchvision's (`backbone.layer1.0.conv1.0.0.weight`) and the forward pass is
torchvision's up to the classifier: the backbone returns one pooled feature vector per clip, `(N, C)`,
which `I3DHead` classifies. `TorchvisionClassifier` (a weight initializer) loads torchvision's classifier
into the head's `fc_cls`, so that the recognizer reproduces torchvision's logits.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import nn
from vidcore import CheckpointError

__all__ = ["TORCHVISION_VIDEO_ARCHS", "TorchvisionVideo", "TorchvisionClassifier"]

TORCHVISION_SCHEME = "torchvision://"

# arch -> (classifier attribute, classifier keys' prefix in torchvision's state dict, feature channels)
TORCHVISION_VIDEO_ARCHS: dict[str, tuple[str, str, int]] = {
    "r3d_18": ("fc", "fc", 512),
    "mc3_18": ("fc", "fc", 512),
    "r2plus1d_18": ("fc", "fc", 512),
    "s3d": ("classifier", "classifier.1", 1024),
    "mvit_v1_b": ("head", "head.1", 768),
    "mvit_v2_s": ("head", "head.1", 768),
    "swin3d_t": ("head", "head", 768),
    "swin3d_s": ("head", "head", 768),
    "swin3d_b": ("head", "head", 1024),
}


def TorchvisionVideo(arch: str, pretrained: str | None = None, channels_last: bool = False,
                     frozen: bool = False) -> nn.Module:
    """torchvision's `arch` (one of TORCHVISION_VIDEO_ARCHS) without its classifier: `(N, 3, T, H, W)` clips
    -> `(N, C)` features (`feat_dim` = C).

    - `pretrained`: `torchvision://r2plus1d_18` (the arch's default weights, Kinetics-400), any torchvision
      weights enum (`torchvision://Swin3D_B_Weights.KINETICS400_IMAGENET22K_V1`), or a local file: a
      torchvision state dict (classifier keys ignored) or a vidcore recognizer checkpoint (`backbone.*`).
      Downloads go to torch's hub cache; offline, the build stops with one line naming the file to fetch and
      where to put it. Every backbone weight must be in the file, with its shape.
    - `channels_last`: weights and input in channels_last_3d memory format.
    - `frozen`: no gradients and eval mode (a fixed feature extractor).
    torchvision's input sizes apply: S3D needs clips of at least 224 px (its pooling kernel is 7x7 on the
    1/32 maps), MViT exactly 16 x 224 x 224.
    """
    if arch not in TORCHVISION_VIDEO_ARCHS:
        raise ValueError(f"TorchvisionVideo arch must be one of {sorted(TORCHVISION_VIDEO_ARCHS)}, got {arch!r}")
    from torchvision.models import video

    model = getattr(video, arch)(weights=None)
    attribute, _, channels = TORCHVISION_VIDEO_ARCHS[arch]
    setattr(model, attribute, nn.Identity())
    model.arch = arch
    model.feat_dim = channels
    if pretrained:
        _load_backbone(model, pretrained)
    if frozen:
        model.requires_grad_(False)
        model.train = _stay_in_eval.__get__(model)  # type: ignore[method-assign]
        model.eval()
    if channels_last:
        model.to(memory_format=torch.channels_last_3d)
        model.register_forward_pre_hook(_channels_last_input)
    return model


class TorchvisionClassifier:
    """Weight initializer (`init_cfg: {type: TorchvisionClassifier, checkpoint: torchvision://r2plus1d_18}` on
    an `I3DHead`): torchvision's Kinetics-400 classifier of the arch into the head's `fc_cls`.

    `arch` defaults to the name in `checkpoint` (`torchvision://<arch>`); give it for a local file. The head
    must have 400 classes and the backbone's feature channels."""

    def __init__(self, checkpoint: str, arch: str | None = None) -> None:
        if arch is None and checkpoint.startswith(TORCHVISION_SCHEME):
            arch = checkpoint[len(TORCHVISION_SCHEME):]
        if arch not in TORCHVISION_VIDEO_ARCHS:
            raise ValueError(f"TorchvisionClassifier: arch must be one of {sorted(TORCHVISION_VIDEO_ARCHS)} "
                             f"(from `arch` or checkpoint torchvision://<arch>), got {arch!r}")
        self.checkpoint = checkpoint
        self.arch = arch

    def __call__(self, module: nn.Module) -> None:
        fc = getattr(module, "fc_cls", None)
        if not isinstance(fc, nn.Linear):
            raise ValueError(f"TorchvisionClassifier applies to a head with an fc_cls Linear layer, not "
                             f"{type(module).__name__}")
        _, prefix, _ = TORCHVISION_VIDEO_ARCHS[self.arch]
        shape = tuple(fc.weight.shape) + ((1, 1, 1) if self.arch == "s3d" else ())
        source = nn.Module()  # holds the classifier as torchvision shapes it (S3D's is a 1x1x1 convolution)
        source.weight = nn.Parameter(torch.empty(shape))
        source.bias = nn.Parameter(torch.empty(fc.bias.shape))
        if self.checkpoint.startswith(TORCHVISION_SCHEME):
            _torchvision_weights(source, self.checkpoint, prefix)
        else:
            from vidcore.checkpoint import load_state_dict

            load_state_dict(source, _read_state(self.checkpoint), strict=True, prefix=f"{prefix}.",
                            source=self.checkpoint)
        weight = source.weight.detach().reshape(fc.weight.shape)
        bias = source.bias.detach()
        with torch.no_grad():
            fc.weight.copy_(weight)
            fc.bias.copy_(bias)


def _load_backbone(model: nn.Module, source: str) -> None:
    if source.startswith(TORCHVISION_SCHEME):
        _torchvision_weights(model, source)  # the classifier's keys are left over: the model has none
        return
    from vidcore.checkpoint import load_state_dict

    state = _read_state(source)
    if any(key.startswith("backbone.") for key in state):
        state = {key[len("backbone."):]: value for key, value in state.items() if key.startswith("backbone.")}
    attribute, _, _ = TORCHVISION_VIDEO_ARCHS[model.arch]
    state = {key: value for key, value in state.items() if not key.startswith(f"{attribute}.")}
    load_state_dict(model, state, strict=True, source=source)


def _torchvision_weights(module: nn.Module, source: str, prefix: str | None = None) -> None:
    """Load `torchvision://...` weights (the keys under `prefix`) into `module` through vidcore-tsn's
    `Pretrained` initializer: torch.hub's cache, and one actionable line when offline."""
    from vidcore import default_registry

    cfg = {"type": "Pretrained", "checkpoint": source, "prefix": prefix}
    default_registry().build(cfg, "weight_inits", key_path=("pretrained",))(module)


def _read_state(source: str) -> Mapping[str, torch.Tensor]:
    """The state dict of a local file: bare, or a checkpoint's `state_dict`."""
    from vidcore.checkpoint import load_checkpoint

    data: Any = load_checkpoint(source)
    state = data.get("state_dict", data)
    if not isinstance(state, Mapping) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise CheckpointError(f"{source}: not a state dict (expected tensors by name, or a 'state_dict' entry)")
    return state


def _stay_in_eval(self: nn.Module, mode: bool = True) -> nn.Module:
    return nn.Module.train(self, False)


def _channels_last_input(module: nn.Module, args: tuple[Any, ...]) -> tuple[Any, ...]:
    return (args[0].contiguous(memory_format=torch.channels_last_3d), *args[1:])
