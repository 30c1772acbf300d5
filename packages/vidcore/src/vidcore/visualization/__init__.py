"""Visualizer and the backend protocol that vis-backend plugins implement."""

from .._plain_data import to_plain
from ._backend import POSITION_KEYS, BaseVisBackend
from ._local_backend import LocalVisBackend
from ._media import as_rgb_array, frames_grid, scalar_value
from ._visualizer import Visualizer

__all__ = ["BaseVisBackend", "LocalVisBackend", "POSITION_KEYS", "Visualizer", "as_rgb_array", "frames_grid",
           "scalar_value", "to_plain"]
