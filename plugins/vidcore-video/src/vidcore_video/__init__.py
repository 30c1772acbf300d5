"""vidcore plugin: video datasets, decoders (decord, PyAV, raw frames), sampling and spatial transforms,
ActionDataPreprocessor, AccMetric, ConfusionMatrix.

Public names are imported on first access, so `import vidcore_video` imports neither torch nor av.
"""

from __future__ import annotations

from vidcore.plugins import lazy_getattr

__version__ = "0.1.0"

_LAZY = {
    "ActionDataSample": "vidcore_video.data_sample",
    "check_label_range": "vidcore_video.data_sample",
    "DecodeError": "vidcore_video.errors",
    "VideoDataset": "vidcore_video.datasets.video_dataset",
    "RawframeDataset": "vidcore_video.datasets.rawframe_dataset",
    "SyntheticVideoDataset": "vidcore_video.datasets.synthetic",
    "BaseActionDataset": "vidcore_video.datasets.base",
    "Compose": "vidcore_video.transforms.compose",
    "ActionDataPreprocessor": "vidcore_video.models.data_preprocessor",
    "MixupBlending": "vidcore_video.models.blending",
    "CutmixBlending": "vidcore_video.models.blending",
    "AccMetric": "vidcore_video.evaluation.acc_metric",
    "ConfusionMatrix": "vidcore_video.evaluation.confusion_matrix",
    "dump_results": "vidcore_video.evaluation.dump",
    "VideoWriter": "vidcore_video.video_writer",
}

__all__ = ["__version__", *_LAZY]


__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted(__all__)
