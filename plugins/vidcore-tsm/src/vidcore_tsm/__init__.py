"""vidcore plugin: TSM (Temporal Shift Module) on vidcore-tsn's Recognizer2D and torchvision ResNet.

Public names are imported on first access, so `import vidcore_tsm` imports neither torch nor torchvision.
"""

from __future__ import annotations

from vidcore.plugins import lazy_getattr

__version__ = "0.1.0"

_LAZY = {
    "ResNetTSM": "vidcore_tsm.resnet_tsm",
    "TSMHead": "vidcore_tsm.tsm_head",
    "TSMOptimWrapperConstructor": "vidcore_tsm.optim_constructor",
    "temporal_shift": "vidcore_tsm.shift",
    "temporal_pool": "vidcore_tsm.shift",
}

__all__ = ["__version__", *_LAZY]


__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted(__all__)
