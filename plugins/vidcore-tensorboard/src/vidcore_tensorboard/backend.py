"""`TensorboardVisBackend`: scalars, the resolved config, images and clips as TensorBoard event files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import yaml
from vidcore.errors import BuildError
from vidcore.visualization import POSITION_KEYS, BaseVisBackend, as_rgb_array, frames_grid, scalar_value, to_plain

__all__ = ["TensorboardVisBackend", "config_markdown"]


class TensorboardVisBackend(BaseVisBackend):
    """Writes to `log_dir` (default: `save_dir`, the run's `vis_data` folder) with torch's SummaryWriter.

    Point TensorBoard at the work dir to compare runs: `tensorboard --logdir work_dirs/`.
    Clips go to TensorBoard's video panel when moviepy 1.x (`moviepy.editor`) is importable; otherwise
    each clip is logged as one image, a grid of its frames, under the same tag.
    """

    def __init__(self, save_dir: str | None = None, log_dir: str | None = None, flush_secs: int = 10,
                 max_queue: int = 100, video_as_grid: bool = False) -> None:
        super().__init__(save_dir)
        if log_dir is None and save_dir is None:
            raise BuildError("TensorboardVisBackend needs 'save_dir' (set by the runner) or 'log_dir'")
        if log_dir is not None and save_dir is not None and not os.path.isabs(log_dir):
            log_dir = os.path.join(save_dir, log_dir)
        self.log_dir = str(log_dir if log_dir is not None else save_dir)
        self.video_as_grid = video_as_grid
        Path(self.log_dir).mkdir(parents=True, exist_ok=True)
        from torch.utils.tensorboard import SummaryWriter

        self._writer: Any = SummaryWriter(self.log_dir, max_queue=max_queue, flush_secs=flush_secs)

    @property
    def writer(self) -> Any:
        """The underlying `SummaryWriter`, for what the protocol does not cover (histograms, graphs)."""
        if self._writer is None:
            raise RuntimeError(f"TensorboardVisBackend({self.log_dir}) is closed")
        return self._writer

    def add_config(self, config: Mapping[str, Any]) -> None:
        self.writer.add_text("config", config_markdown(config), 0)
        self.writer.flush()

    def add_scalars(self, scalars: Mapping[str, float], step: int) -> None:
        for key, value in scalars.items():
            number = scalar_value(value)
            if number is not None and key not in POSITION_KEYS:  # the position is the x axis, not a curve
                self.writer.add_scalar(key, number, int(step))

    def add_image(self, name: str, image: Any, step: int = 0) -> None:
        self.writer.add_image(name, as_rgb_array(image, 3, name), int(step), dataformats="HWC")

    def add_video(self, name: str, frames: Any, step: int = 0, fps: int = 4) -> None:
        clip = as_rgb_array(frames, 4, name)
        if self.video_as_grid or not _moviepy_available():
            self.writer.add_image(name, frames_grid(clip), int(step), dataformats="HWC")
            return
        self.writer.add_video(name, clip.transpose(0, 3, 1, 2)[None], int(step), fps=fps)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def config_markdown(config: Mapping[str, Any]) -> str:
    """The config as a fenced YAML code block (TensorBoard's text panel renders Markdown)."""
    text = yaml.safe_dump(to_plain(config), sort_keys=False, allow_unicode=True, width=110)
    return f"```yaml\n{text}```"


_MOVIEPY: bool | None = None


def _moviepy_available() -> bool:
    """torch's add_video encodes GIFs with `moviepy.editor` (moviepy 1.x); without it nothing is written."""
    global _MOVIEPY
    if _MOVIEPY is None:
        try:
            import moviepy.editor  # noqa: F401
        except Exception:  # ImportError, or moviepy's own import-time failures (missing ffmpeg, imageio)
            _MOVIEPY = False
        else:
            _MOVIEPY = True
    return _MOVIEPY
