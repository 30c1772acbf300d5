"""vidcore plugin: video datasets, decoders (decord, PyAV, raw frames), sampling and spatial transforms, ActionDataPreprocessor, AccMetric."""

__version__ = "0.1.0"
