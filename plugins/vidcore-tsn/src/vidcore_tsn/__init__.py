"""vidcore plugin: TSN — Recognizer2D, torchvision ResNet backbones, TSNHead, AvgConsensus and TSN configs.

Public names are imported on first access, so `import vidcore_tsn` imports neither torch nor torchvision.
"""

from __future__ import annotations

from vidcore.plugins import lazy_getattr

__version__ = "0.1.0"

_LAZY = {
    "Recognizer2D": "vidcore_tsn.recognizer",
    "ResNet": "vidcore_tsn.backbones.resnet",
    "TSNHead": "vidcore_tsn.heads.tsn_head",
    "AvgConsensus": "vidcore_tsn.consensus",
    "CrossEntropyLoss": "vidcore_tsn.losses",
    "BCELossWithLogits": "vidcore_tsn.losses",
    "apply_init_cfg": "vidcore_tsn.weight_init",
    "freeze": "vidcore_tsn.backbones.train_mode",
    "batch_norms": "vidcore_tsn.backbones.train_mode",
    "init_recognizer": "vidcore_tsn.inference",
    "inference_recognizer": "vidcore_tsn.inference",
    "Prediction": "vidcore_tsn.inference",
}

__all__ = ["__version__", *_LAZY]


__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted(__all__)
