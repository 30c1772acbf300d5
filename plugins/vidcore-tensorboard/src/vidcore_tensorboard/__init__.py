"""vidcore plugin: TensorboardVisBackend, logging scalars, config, images and clips to TensorBoard.

`TensorboardVisBackend` is imported on first access, so importing this package stays cheap.
"""

from __future__ import annotations

from vidcore.plugins import lazy_getattr

__version__ = "0.1.0"
__all__ = ["TensorboardVisBackend", "__version__"]

__getattr__ = lazy_getattr(__name__, {"TensorboardVisBackend": ".backend"})
