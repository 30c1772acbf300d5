"""`WandbVisBackend`: scalars, the resolved config, images and clips to a Weights & Biases run.

Design choices against the known failure modes of W&B integrations:

- the run starts when the backend is built, never lazily in the middle of training, and never prompts
  for a login (see `vidcore_wandb.mode`): no credentials or no server means offline, said in one line;
- every row carries its own x value (`step`, declared as the step metric of every key), so rows logged
  out of order (validation after training, a resumed run) are kept instead of dropped by wandb's
  monotonic `_step`;
- with `commit=False`, a pending row is committed as soon as a later row has another step, and on close;
- the run is finished by `close()`, and also at interpreter exit if `close()` never came (marked failed
  after an uncaught exception); end-of-run uploads are bounded by wandb's `finish_timeout`.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

from vidcore.errors import BuildError
from vidcore.visualization import BaseVisBackend, as_rgb_array, frames_grid, scalar_value, to_plain

from .mode import choose_mode

__all__ = ["WandbVisBackend", "STEP_METRIC", "DEFAULT_SETTINGS"]

STEP_METRIC = "step"
# Applied when this wandb has the setting and the config does not set it.
DEFAULT_SETTINGS: dict[str, Any] = {
    "finish_timeout": 120.0,  # seconds run.finish() may wait on uploads; the rest stays on disk for `wandb sync`
}


class WandbVisBackend(BaseVisBackend):
    """Logs to a W&B run. `init_kwargs` go to `wandb.init` (project, name, tags, mode, settings, ...).

    `define_metric_cfg`: `{name: summary}` (e.g. `{"acc/top1": "max"}`) or a list of `define_metric`
    keyword dicts. `log_code_name`: save the code as an artifact of that name with the config.
    `watch_kwargs`: given, `add_graph(model)` (the runner calls it before training) calls
    `run.watch(model, **watch_kwargs)`; the run is then the process's global `wandb.run`, as wandb's watch
    hooks need (otherwise runs are created with `reinit="create_new"` and leave other runs alone).
    Files go to `save_dir/wandb/` unless `init_kwargs.dir` or `WANDB_DIR` says otherwise.
    """

    def __init__(self, save_dir: str | None = None, init_kwargs: dict | None = None,
                 define_metric_cfg: dict | list | None = None, commit: bool = True,
                 log_code_name: str | None = None, watch_kwargs: dict | None = None) -> None:
        super().__init__(save_dir)
        self.init_kwargs = dict(init_kwargs or {})
        self.define_metric_cfg = define_metric_cfg
        self.commit = commit
        self.log_code_name = log_code_name
        self.watch_kwargs = watch_kwargs
        self._pending_step: int | None = None
        self._pid = os.getpid()
        self.mode: str = ""
        self._run: Any = self._start()

    # --- the run ------------------------------------------------------------------------------------
    def _start(self) -> Any:
        import wandb

        kwargs = dict(self.init_kwargs)
        settings = _settings(wandb, kwargs.pop("settings", None))
        choice = choose_mode(kwargs, settings if isinstance(settings, Mapping) else {})
        self.mode = kwargs["mode"] = choice.mode
        # Passed explicitly each time: wandb reads WANDB_DIR only once per process.
        kwargs["dir"] = kwargs.get("dir") or os.environ.get("WANDB_DIR") or self.save_dir or "."
        Path(kwargs["dir"]).mkdir(parents=True, exist_ok=True)
        # Several backends or runs in one process stay apart, except with `watch_kwargs`: wandb's watch hooks
        # log through the global `wandb.run`, so that run must be this one (wandb's default reinit).
        if self.watch_kwargs is None:
            kwargs.setdefault("reinit", "create_new")
        try:
            run = wandb.init(**kwargs, settings=settings)
        except Exception as exc:  # wandb raises its own types, pydantic's and TimeoutError
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BuildError(f"wandb.init failed in {choice.mode} mode: {detail} "
                             f"(WANDB_MODE=offline logs without a server)") from exc
        if choice.reason:
            where = Path(kwargs["dir"]) / "wandb"
            print(f"vidcore-wandb: {choice.reason}; logging offline to {where} "
                  f"(upload later with `wandb sync {where}/offline-run-*`)", file=sys.stderr)
        run.define_metric(STEP_METRIC, hidden=True)
        run.define_metric("*", step_metric=STEP_METRIC)
        for metric in _metric_definitions(self.define_metric_cfg):
            run.define_metric(**metric)
        atexit.register(self._finish_at_exit)
        return run

    @property
    def run(self) -> Any:
        """The `wandb` Run, for what the protocol does not cover (tables, artifacts, alerts)."""
        if self._run is None:
            raise RuntimeError("WandbVisBackend is closed")
        return self._run

    # --- the protocol -------------------------------------------------------------------------------
    def add_config(self, config: Mapping[str, Any]) -> None:
        self.run.config.update(to_plain(config), allow_val_change=True)
        if self.log_code_name:
            self.run.log_code(name=self.log_code_name)

    def add_scalars(self, scalars: Mapping[str, float], step: int) -> None:
        data = {key: number for key, value in scalars.items() if (number := scalar_value(value)) is not None}
        if data:
            self._log(data, step)

    def add_image(self, name: str, image: Any, step: int = 0) -> None:
        import wandb

        self._log({name: wandb.Image(as_rgb_array(image, 3, name))}, step)

    def add_video(self, name: str, frames: Any, step: int = 0, fps: int = 4) -> None:
        """A GIF when `imageio` is installed (`pip install wandb[media]`), else an image grid of the frames."""
        import wandb

        clip = as_rgb_array(frames, 4, name)
        if importlib.util.find_spec("imageio") is None:
            self._log({name: wandb.Image(frames_grid(clip))}, step)
        else:
            self._log({name: wandb.Video(clip.transpose(0, 3, 1, 2), fps=fps, format="gif")}, step)

    def add_graph(self, model: Any, data_batch: Any = None) -> None:
        """Watch the model's gradients and parameters when `watch_kwargs` is configured."""
        if self.watch_kwargs is not None:
            self.run.watch(model, **self.watch_kwargs)

    def close(self) -> None:
        """Commit what is pending and finish the run; failed if called while an exception propagates."""
        self._finish(exit_code=1 if sys.exc_info()[0] is not None else 0)

    # --- helpers ------------------------------------------------------------------------------------
    def _log(self, data: dict[str, Any], step: int) -> None:
        step = int(step)
        if self._pending_step is not None and self._pending_step != step:
            self.run.log({}, commit=True)
        self.run.log({**data, STEP_METRIC: step}, commit=self.commit)
        self._pending_step = None if self.commit else step

    def _finish(self, exit_code: int) -> None:
        if self._run is None:
            return
        run, self._run = self._run, None
        atexit.unregister(self._finish_at_exit)
        try:
            if self._pending_step is not None:
                run.log({}, commit=True)
            run.finish(exit_code=exit_code)
        except Exception as exc:  # closing must not hide the error that ended the run
            print(f"vidcore-wandb: warning: finishing the W&B run failed: {type(exc).__name__}: {exc}",
                  file=sys.stderr)

    def _finish_at_exit(self) -> None:
        if os.getpid() != self._pid:  # a forked worker inherited the registration
            return
        crashed = getattr(sys, "last_value", None) is not None  # set for an uncaught exception
        self._finish(exit_code=1 if crashed else 0)


def _settings(wandb: Any, given: Any) -> Any:
    """`DEFAULT_SETTINGS` this wandb knows, under the config's own; a `wandb.Settings` object is kept as is."""
    if given is not None and not isinstance(given, Mapping):
        return given
    known = getattr(wandb.Settings, "model_fields", {})
    return {**{key: value for key, value in DEFAULT_SETTINGS.items() if key in known}, **dict(given or {})}


def _metric_definitions(cfg: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """`define_metric_cfg` as keyword dicts; each metric keeps `step` as its x axis unless it says otherwise."""
    if cfg is None:
        return []
    if isinstance(cfg, Mapping):
        items = [{"name": name, "summary": summary} for name, summary in cfg.items()]
    else:
        items = [dict(item) for item in cfg]
    for item in items:
        if "name" not in item:
            raise BuildError(f"define_metric_cfg entry {item!r} has no 'name'")
        item.setdefault("step_metric", STEP_METRIC)
    return items

