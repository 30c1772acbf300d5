"""`ActionVisualizer`: mmaction2's visualizer type, so that `visualizer: {type: ActionVisualizer, vis_backends: [...]}`
configs run unchanged."""

from __future__ import annotations

from vidcore.visualization import Visualizer

__all__ = ["ActionVisualizer"]


class ActionVisualizer(Visualizer):
    """vidcore's Visualizer under mmaction2's name, with the same arguments (`vis_backends`; the runner passes
    `save_dir`). Clips are drawn by the VisualizationHook, which sends them to every backend."""
