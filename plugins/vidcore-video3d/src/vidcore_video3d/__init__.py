"""vidcore plugin: 3D video models — Recognizer3D, I3DHead, SlowFastHead, mmaction2's ResNet3d family and
torchvision's video models.

Public names are imported on first access, so `import vidcore_video3d` imports neither torch nor torchvision.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Recognizer3D": "vidcore_video3d.recognizer3d",
    "I3DHead": "vidcore_video3d.heads",
    "SlowFastHead": "vidcore_video3d.heads",
    "ResNet3d": "vidcore_video3d.resnet3d",
    "ResNet3dSlowOnly": "vidcore_video3d.slowfast",
    "ResNet3dPathway": "vidcore_video3d.slowfast",
    "ResNet3dSlowFast": "vidcore_video3d.slowfast",
    "TorchvisionVideo": "vidcore_video3d.torchvision_video",
    "TorchvisionClassifier": "vidcore_video3d.torchvision_video",
    "TORCHVISION_VIDEO_ARCHS": "vidcore_video3d.torchvision_video",
    "inflate_2d_state": "vidcore_video3d.inflation",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'vidcore_video3d' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)


def __dir__() -> list[str]:
    return sorted(__all__)
