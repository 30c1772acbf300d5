"""Visualizer and the backend protocol that vis-backend plugins implement."""

from .backend import BaseVisBackend

__all__ = ["BaseVisBackend"]
