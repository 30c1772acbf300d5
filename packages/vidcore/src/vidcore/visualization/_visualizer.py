"""`Visualizer`: fans out the runner's config, scalars, images, videos and model to every visualizer backend."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ._backend import BaseVisBackend


class Visualizer:
    """Holds the run's backends (`visualizer.vis_backends` in a config; LocalVisBackend by default).

    `vis_backends` are backend objects, or configs built through the default registry with `save_dir`
    injected. Every call goes to every backend in order; `close()` closes them all even if one fails.
    """

    def __init__(self, vis_backends: Iterable[BaseVisBackend | Mapping[str, Any]] | None = None,
                 save_dir: str | None = None) -> None:
        self.save_dir = save_dir
        self.backends: list[BaseVisBackend] = []
        for index, backend in enumerate(vis_backends or ()):
            if isinstance(backend, Mapping):
                from ..plugins import default_registry

                backend = default_registry().build(backend, "vis_backends", default_args={"save_dir": save_dir},
                                                   key_path=("visualizer", "vis_backends", index))
            self.backends.append(backend)
        self._closed = False

    def add_config(self, config: Mapping[str, Any]) -> None:
        for backend in self.backends:
            backend.add_config(config)

    def add_scalars(self, scalars: Mapping[str, float], step: int) -> None:
        for backend in self.backends:
            backend.add_scalars(scalars, step)

    def add_image(self, name: str, image: Any, step: int = 0) -> None:
        for backend in self.backends:
            backend.add_image(name, image, step)

    def add_video(self, name: str, frames: Any, step: int = 0, fps: int = 4) -> None:
        for backend in self.backends:
            backend.add_video(name, frames, step, fps)

    def add_graph(self, model: Any, data_batch: Any = None) -> None:
        for backend in self.backends:
            backend.add_graph(model, data_batch)

    def close(self) -> None:
        """Close every backend once; the first error is raised after all have been tried."""
        if self._closed:
            return
        self._closed = True
        first_error: BaseException | None = None
        for backend in self.backends:
            try:
                backend.close()
            except Exception as exc:  # one backend's failure must not leave the others open
                first_error = first_error or exc
        if first_error is not None:
            raise first_error
