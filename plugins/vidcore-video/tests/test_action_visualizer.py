"""`ActionVisualizer`: mmaction2's visualizer type is registered and builds vidcore's Visualizer."""

from __future__ import annotations

from vidcore.plugins import default_registry
from vidcore.visualization import LocalVisBackend, Visualizer


def test_action_visualizer_is_a_visualizer_with_the_same_arguments(tmp_path):
    backend = LocalVisBackend(str(tmp_path / "vis_data"))
    visualizer = default_registry().build({"type": "ActionVisualizer", "vis_backends": [backend]}, "visualizers",
                                          default_args={"save_dir": str(tmp_path / "vis_data")})
    assert isinstance(visualizer, Visualizer) and type(visualizer).__name__ == "ActionVisualizer"
    visualizer.add_scalars({"mode": "train", "epoch": 1, "iter": 1, "step": 1, "lr": 0.1}, step=1)
    visualizer.close()
    assert '"lr": 0.1' in (tmp_path / "vis_data" / "scalars.json").read_text()
