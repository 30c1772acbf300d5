"""Visualizer and the backend protocol that vis-backend plugins implement."""

from ..plain_data import to_plain
from .backend import POSITION_KEYS, BaseVisBackend
from .local_backend import LocalVisBackend
from .media import as_rgb_array, frames_grid, scalar_value
from .visualizer import Visualizer

__all__ = ["BaseVisBackend", "LocalVisBackend", "POSITION_KEYS", "Visualizer", "as_rgb_array", "frames_grid",
           "scalar_value", "to_plain"]
