"""Help for unknown names: close matches, and the distribution that ships a first-party component."""

from __future__ import annotations

from typing import Iterable

__all__ = ["close_matches", "FIRST_PARTY_COMPONENTS", "install_hint"]

# Names shipped by first-party distributions, so that an unknown name can say which `pip install` adds it.
FIRST_PARTY_COMPONENTS: dict[str, tuple[str, ...]] = {
    "vidcore-video": (
        "VideoDataset", "RawframeDataset", "SyntheticVideoDataset", "DecordInit", "DecordDecode",
        "PyAVInit", "PyAVDecode", "RawFrameDecode", "SampleFrames", "DenseSampleFrames", "UniformSample",
        "Resize", "RandomRescale", "RandomResizedCrop", "MultiScaleCrop", "RandomCrop", "CenterCrop",
        "ThreeCrop", "TenCrop", "Flip", "ColorJitter", "Normalize", "FormatShape", "PackActionInputs",
        "ActionDataPreprocessor", "MixupBlending", "CutmixBlending", "AccMetric", "VisualizationHook",
    ),
    "vidcore-tsn": ("Recognizer2D", "ResNet", "TSNHead", "AvgConsensus", "CrossEntropyLoss"),
    "vidcore-tsm": ("ResNetTSM", "TSMHead", "TSMOptimWrapperConstructor"),
    "vidcore-tensorboard": ("TensorboardVisBackend",),
    "vidcore-wandb": ("WandbVisBackend",),
}


def close_matches(name: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """Candidates that look like `name`, case-insensitively, best first."""
    import difflib

    by_lower: dict[str, str] = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), candidate)
    found = difflib.get_close_matches(name.lower(), list(by_lower), n=limit, cutoff=0.6)
    return [by_lower[match] for match in found]


def install_hint(name: str) -> str | None:
    """`pip install <dist>` when `name` is a first-party component, else None."""
    for dist, names in FIRST_PARTY_COMPONENTS.items():
        if name in names:
            return f"pip install {dist}"
    return None
