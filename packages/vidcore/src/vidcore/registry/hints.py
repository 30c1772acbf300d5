"""Help for unknown names: close matches, and the distribution that ships a first-party component."""

from __future__ import annotations

from typing import Iterable

__all__ = ["close_matches", "FIRST_PARTY_COMPONENTS", "FIRST_PARTY_PATHS", "install_command", "install_hint"]

# The first-party distributions are not on a package index: each installs from its folder in the vidcore
# repository, given as a path from the repository's root.
FIRST_PARTY_PATHS: dict[str, str] = {
    "vidcore": "packages/vidcore",
    "vidcore-video": "plugins/vidcore-video",
    "vidcore-tsn": "plugins/vidcore-tsn",
    "vidcore-tsm": "plugins/vidcore-tsm",
    "vidcore-video3d": "plugins/vidcore-video3d",
    "vidcore-tensorboard": "plugins/vidcore-tensorboard",
    "vidcore-wandb": "plugins/vidcore-wandb",
}

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
    "vidcore-video3d": ("Recognizer3D", "I3DHead", "SlowFastHead", "ResNet3d", "ResNet3dSlowOnly",
                        "ResNet3dSlowFast", "TorchvisionVideo", "TorchvisionClassifier"),
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


def install_command(dist: str) -> str:
    """The command that installs first-party distribution `dist`, as it works today: from its folder in the
    vidcore repository."""
    return f"pip install ./{FIRST_PARTY_PATHS[dist]} (from the root of the vidcore repository)"


def install_hint(name: str) -> str | None:
    """`install_command` of the distribution that ships first-party component `name`, else None."""
    for dist, names in FIRST_PARTY_COMPONENTS.items():
        if name in names:
            return install_command(dist)
    return None
