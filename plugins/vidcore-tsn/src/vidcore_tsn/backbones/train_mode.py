"""What a backbone's `train()` keeps from torch's: frozen stages stay in eval mode without gradients, and
`norm_eval` keeps BatchNorm statistics fixed (both also serve backbones of other plugins)."""

from __future__ import annotations

from typing import Iterable

from torch import nn

__all__ = ["batch_norms", "freeze"]


def freeze(modules: Iterable[nn.Module]) -> None:
    """Put `modules` in eval mode and stop their gradients (called again after each `train()`)."""
    for module in modules:
        module.eval()
        for parameter in module.parameters():
            parameter.requires_grad = False


def batch_norms(model: nn.Module) -> list[nn.Module]:
    """Every BatchNorm layer (1d/2d/3d, SyncBatchNorm) of `model`, in module order."""
    return [module for module in model.modules() if isinstance(module, nn.modules.batchnorm._BatchNorm)]
