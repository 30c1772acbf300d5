"""vidcore plugin: TensorboardVisBackend, logging scalars, config, images and clips to TensorBoard.

`TensorboardVisBackend` is imported on first access, so importing this package stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["TensorboardVisBackend", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "TensorboardVisBackend":
        from .backend import TensorboardVisBackend

        return TensorboardVisBackend
    raise AttributeError(f"module 'vidcore_tensorboard' has no attribute {name!r}")
