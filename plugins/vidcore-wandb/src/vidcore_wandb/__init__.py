"""vidcore plugin: WandbVisBackend, logging runs to Weights & Biases (online or offline).

`WandbVisBackend` is imported on first access, so importing this package never imports wandb.
"""

from __future__ import annotations

from vidcore.plugins import lazy_getattr

__version__ = "0.1.0"
__all__ = ["WandbVisBackend", "__version__"]

__getattr__ = lazy_getattr(__name__, {"WandbVisBackend": ".backend"})
