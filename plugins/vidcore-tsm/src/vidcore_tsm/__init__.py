"""vidcore plugin: TSM (Temporal Shift Module) on vidcore-tsn's Recognizer2D and torchvision ResNet.

Public names are imported on first access, so `import vidcore_tsm` imports neither torch nor torchvision.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "ResNetTSM": "vidcore_tsm.resnet_tsm",
    "TSMHead": "vidcore_tsm.tsm_head",
    "TSMOptimWrapperConstructor": "vidcore_tsm.optim_constructor",
    "temporal_shift": "vidcore_tsm.shift",
    "temporal_pool": "vidcore_tsm.shift",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'vidcore_tsm' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)


def __dir__() -> list[str]:
    return sorted(__all__)
