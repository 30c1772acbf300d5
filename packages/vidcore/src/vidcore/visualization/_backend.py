"""`BaseVisBackend`: what a visualizer backend plugin (TensorBoard, W&B, local files, ...) implements."""

from __future__ import annotations

from typing import Any, Mapping

POSITION_KEYS = ("epoch", "iter")
"""Keys of `add_scalars` that say where training was (the runner adds them to every record), not values to
plot: a backend whose x axis is the step (TensorBoard) leaves them out."""


class BaseVisBackend:
    """Receives everything the runner logs. Override what the backend supports; the rest are no-ops.

    `save_dir` is where a backend that writes files puts them (the run's `vis_data` folder); the
    runner passes it. Images are HxWx3 uint8 RGB numpy arrays; videos are TxHxWx3 uint8.
    """

    def __init__(self, save_dir: str | None = None) -> None:
        self.save_dir = save_dir

    def add_config(self, config: Mapping[str, Any]) -> None:
        """The resolved config, once at the start of a run."""

    def add_scalars(self, scalars: Mapping[str, float], step: int) -> None:
        """Scalars (losses, lr, metrics such as `acc/top1`) at a global step, with the `POSITION_KEYS`."""

    def add_image(self, name: str, image: Any, step: int = 0) -> None:
        """An RGB image (HxWx3 uint8)."""

    def add_video(self, name: str, frames: Any, step: int = 0, fps: int = 4) -> None:
        """A clip (TxHxWx3 uint8); backends without video support may ignore it."""

    def add_graph(self, model: Any, data_batch: Any = None) -> None:
        """The model (unwrapped from DDP), once before training starts: e.g. W&B watches its gradients.
        `data_batch` is None when called by the runner."""

    def close(self) -> None:
        """Flush and release resources; called at the end of a run and when it crashes."""
