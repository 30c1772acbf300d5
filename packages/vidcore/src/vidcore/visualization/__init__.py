"""Visualizer and the backend protocol that vis-backend plugins implement."""

from .backend import BaseVisBackend
from .local_backend import LocalVisBackend
from .visualizer import Visualizer

__all__ = ["BaseVisBackend", "LocalVisBackend", "Visualizer"]
