"""Visualizer and the backend protocol that vis-backend plugins implement."""

from .backend import POSITION_KEYS, BaseVisBackend
from .local_backend import LocalVisBackend
from .visualizer import Visualizer

__all__ = ["BaseVisBackend", "LocalVisBackend", "POSITION_KEYS", "Visualizer"]
