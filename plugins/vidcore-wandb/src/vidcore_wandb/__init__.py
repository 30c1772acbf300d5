"""vidcore plugin: WandbVisBackend, logging runs to Weights & Biases (online or offline).

`WandbVisBackend` is imported on first access, so importing this package never imports wandb.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["WandbVisBackend", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "WandbVisBackend":
        from .backend import WandbVisBackend

        return WandbVisBackend
    raise AttributeError(f"module 'vidcore_wandb' has no attribute {name!r}")
