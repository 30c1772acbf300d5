"""Registers vidcore-video's components with vidcore, lazily: nothing heavy is imported here."""

from __future__ import annotations

from typing import Any

from vidcore import hookimpl

__all__ = ["COMPONENTS", "FAMILY_COMPONENTS", "vidcore_register", "vidcore_add_commands"]

_T = "vidcore_video.transforms"

# kind -> {name: "module:attr"}; each module is imported only when a config builds one of its components.
COMPONENTS: dict[str, dict[str, str]] = {
    "datasets": {
        "VideoDataset": "vidcore_video.datasets.video_dataset:VideoDataset",
        "RawframeDataset": "vidcore_video.datasets.rawframe_dataset:RawframeDataset",
        "SyntheticVideoDataset": "vidcore_video.datasets.synthetic:SyntheticVideoDataset",
        "RepeatAugDataset": "vidcore_video.datasets.repeat_aug_dataset:RepeatAugDataset",
    },
    "transforms": {
        "SampleFrames": f"{_T}.sampling:SampleFrames",
        "DenseSampleFrames": f"{_T}.sampling:DenseSampleFrames",
        "UniformSample": f"{_T}.sampling:UniformSample",
        "DecordInit": f"{_T}.decoding_decord:DecordInit",
        "DecordDecode": f"{_T}.decoding_decord:DecordDecode",
        "PyAVInit": f"{_T}.decoding_pyav:PyAVInit",
        "PyAVDecode": f"{_T}.decoding_pyav:PyAVDecode",
        "RawFrameDecode": f"{_T}.decoding_rawframes:RawFrameDecode",
        "Resize": f"{_T}.resize:Resize",
        "RandomRescale": f"{_T}.resize:RandomRescale",
        "RandomCrop": f"{_T}.crops:RandomCrop",
        "CenterCrop": f"{_T}.crops:CenterCrop",
        "RandomResizedCrop": f"{_T}.crops:RandomResizedCrop",
        "MultiScaleCrop": f"{_T}.crops:MultiScaleCrop",
        "ThreeCrop": f"{_T}.crops:ThreeCrop",
        "TenCrop": f"{_T}.crops:TenCrop",
        "Flip": f"{_T}.flip:Flip",
        "ColorJitter": f"{_T}.color:ColorJitter",
        "Normalize": f"{_T}.normalize:Normalize",
        "FormatShape": f"{_T}.formatting:FormatShape",
        "PackActionInputs": f"{_T}.formatting:PackActionInputs",
    },
    "models": {
        "ActionDataPreprocessor": "vidcore_video.models.data_preprocessor:ActionDataPreprocessor",
        "MixupBlending": "vidcore_video.models.blending:MixupBlending",
        "CutmixBlending": "vidcore_video.models.blending:CutmixBlending",
    },
    "metrics": {
        "AccMetric": "vidcore_video.evaluation.acc_metric:AccMetric",
    },
    "hooks": {
        "VisualizationHook": "vidcore_video.visualization_hook:VisualizationHook",
    },
    "visualizers": {
        "ActionVisualizer": "vidcore_video.action_visualizer:ActionVisualizer",
    },
}


# The first-party distributions built on this one and what they ship: a config naming one of these while its
# distribution is not installed is told the install command (vidcore's registry asks the plugins, not a table).
FAMILY_COMPONENTS: dict[str, tuple[str, ...]] = {
    "vidcore-tsn": ("Recognizer2D", "ResNet", "TSNHead", "AvgConsensus", "CrossEntropyLoss"),
    "vidcore-tsm": ("ResNetTSM", "TSMHead", "TSMOptimWrapperConstructor"),
    "vidcore-tensorboard": ("TensorboardVisBackend",),
    "vidcore-wandb": ("WandbVisBackend",),
}


@hookimpl
def vidcore_register(registry: Any) -> None:
    for kind, components in COMPONENTS.items():
        registry.register_many(kind, components)
    registry.add_install_hints(FAMILY_COMPONENTS)


@hookimpl
def vidcore_add_commands(subparsers: Any) -> None:
    from .data_tools.cli import add_data_commands

    add_data_commands(subparsers)
