"""vidcore plugin: TensorboardVisBackend, logging scalars, config and images to TensorBoard."""

__version__ = "0.1.0"
