"""`Runner`: builds every component of a config through the registry and runs training, validation or test.

Construction has no side effect on disk: the work dir, logs and visualizer backends are opened when
`train()`, `val()` or `test()` starts, and closed when it ends (or when the `with runner:` block ends).
"""

from __future__ import annotations

import bisect
import os
import time
import weakref
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import torch
from torch import nn

from .. import __version__
from .._checkpoint_url import checkpoint_file
from .._keypath import KeyPart, format_key_path
from .._plain_data import to_plain
from .._randomness import set_random_seed
from ..checkpoint import LAST_CHECKPOINT_FILE, load_checkpoint, load_state_dict, save_checkpoint, write_last_checkpoint
from ..config import Config
from ..config._keys import unread_variables
from ..config._values import RANDOMNESS_KEYS
from ..dist import (
    DEFAULT_TIMEOUT_S,
    all_reduce_max,
    broadcast_object,
    get_backend,
    get_local_rank,
    get_rank,
    get_world_size,
    init_distributed,
    unwrap_model,
)
from ..errors import CheckpointError, ConfigError
from ..evaluation import DumpResults
from ..hooks import HOOK_POINTS, CheckpointHook, Hook, get_priority
from ..model import BaseDataPreprocessor
from ..plugins import default_registry
from ..registry import Registry
from ..visualization import Visualizer
from . import _components as components
from ._checkpointing import find_resume_checkpoint, make_checkpoint, restore_checkpoint
from ._config_check import check_before_run, prepare_config
from ._injection import accepted_arguments
from ._interrupt import StopSignals, TrainingInterrupted, describe_position, signal_name, stop_at_safe_point
from ._logger import add_log_file, build_logger, close_logger, log_exception_to_file
from ._message_hub import MessageHub
from ._scale_lr import scale_lr
from ._steps import predict_step, train_step
from ._threads import torch_threads, torch_threads_for
from ._work_dir import WorkDirLock, earlier_checkpoints, listed


class Runner:
    """Training engine: `Runner.from_cfg(cfg).train()`, `.val()`, `.test(dump=...)`.

    `cfg` is a resolved config (a `vidcore.Config`, whose `locate` names the file of each key in errors,
    or a plain dict with `filename` and optionally `locate`). Components are built from the registry
    (`registry`, default: the process-wide one filled by installed plugins). Public state for hooks:
    `model`, `optim_wrapper`, `param_schedulers`, `train_loop`/`val_loop`/`test_loop`, `epoch`, `iter`,
    `max_epochs`, `max_iters`, `message_hub`, `logger`, `visualizer`, `work_dir`, `log_dir`, `seed`,
    `rank`, `world_size`, `mode`, `last_checkpoint` (path and loop position of the newest checkpoint this run
    wrote, recorded by `record_last_checkpoint`). `strict_load_from = True` makes `load_from` fit the model exactly
    (`vidcore test`). `overwrite = True` lets `train()` start afresh in a work dir that holds an earlier
    run's checkpoints (refused otherwise, unless `resume` is set); each phase locks the work dir (docs/reliability.md,
    Work-dir ownership). `train()` stops on SIGINT/SIGTERM at a safe point, after saving a checkpoint
    (TrainingInterrupted; docs/reliability.md).
    """

    def __init__(self, cfg: Mapping[str, Any], filename: str | None = None, registry: Registry | None = None,
                 locate: Callable[[Sequence[KeyPart]], str | None] | None = None) -> None:
        variables: frozenset[str] = frozenset()
        if isinstance(cfg, Config):
            filename = filename or cfg.filename
            locate = locate or cfg.locate
            data = cfg.to_dict()
            variables = cfg.variables
        else:
            data = _copy_config(cfg)
        self.locate: Callable[[Sequence[KeyPart]], str | None] = locate or (lambda key_path: filename)
        self.filename = filename
        known = prepare_config(data, filename or "<config>")
        self.cfg: dict[str, Any] = data
        self.registry = registry or default_registry()
        check_before_run(data, variables, known, self.registry, self.locate, filename)
        for name in unread_variables(data, variables, known):  # resolved: dumps and checkpoints hold what is read
            del data[name]

        env_cfg = dict(data.get("env_cfg") or {})
        dist_cfg = self._dist_cfg(env_cfg)
        self.distributed = init_distributed(backend=dist_cfg.get("backend"),
                                            timeout_s=dist_cfg.get("timeout", DEFAULT_TIMEOUT_S))
        self.rank = get_rank()
        self.world_size = get_world_size()
        if env_cfg.get("cudnn_benchmark"):
            torch.backends.cudnn.benchmark = True
        self.device = (torch.device("cuda", get_local_rank() if self.distributed else torch.cuda.current_device())
                       if torch.cuda.is_available() else torch.device("cpu"))
        self._torch_threads, self._threads_note = torch_threads_for(
            env_cfg.get("torch_threads", "auto"),
            [data.get(f"{split}_dataloader") for split in ("train", "val", "test")],
            self.where("env_cfg", "torch_threads"), on_accelerator=self.device.type != "cpu")
        self.seed = set_random_seed(**self._randomness_cfg())

        self.work_dir = str(self._work_dir())
        self.timestamp: str | None = None
        self.log_dir: str | None = None
        self.logger = build_logger(self.rank, data.get("log_level", "INFO"))
        self.message_hub = MessageHub()
        self.mode: str | None = None  # "train", "val" or "test" while that phase runs
        self.resuming = False
        self.training_complete = False  # train() resumed from a checkpoint at the end of training: nothing to do

        self.model = components.build_model(self)
        preprocessor = getattr(unwrap_model(self.model), "data_preprocessor", None)
        self._preprocessor = preprocessor if preprocessor is not None else BaseDataPreprocessor().to(self.device)
        self._hooks: list[tuple[int, int, Hook]] = []
        self._hooks_at: dict[str, list[Hook]] = {point: [] for point in HOOK_POINTS}
        components.register_configured_hooks(self)

        self.train_dataloader: Any = None
        self.val_dataloader: Any = None
        self.test_dataloader: Any = None
        self._train_loop: Any = None
        self._val_loop: Any = None
        self._test_loop: Any = None
        self.optim_wrapper: Any = None
        self.param_schedulers: list[Any] = []
        self._weights_loaded = False
        self._visualizer: Visualizer | None = None
        self._log_file: Any = None
        self._config_dumped = False
        self._in_context = False
        self._stop_signals: StopSignals | None = None
        self.strict_load_from = False  # `vidcore test` sets it: the checkpoint must fit the model exactly
        self.overwrite = False  # `vidcore run --overwrite`: a new run may replace an earlier run's checkpoints
        self._work_dir_lock: WorkDirLock | None = None
        self.last_checkpoint: tuple[str, dict[str, Any]] | None = None  # written by this run: (path, position)
        self._loaded_position = (0, 0)  # (epoch, iter) of the checkpoint load_from loaded: val/test without training
        self._finalizer = weakref.finalize(self, _close_outputs, self.logger, [])

    @classmethod
    def from_cfg(cls, cfg: Mapping[str, Any], filename: str | None = None) -> Runner:
        """Build a runner from a resolved config (dict or `vidcore.Config`)."""
        return cls(cfg, filename=filename)

    # --- configuration -------------------------------------------------------------------------------
    def where(self, *key_path: KeyPart) -> str:
        """`<file>: <key path>` for error messages."""
        source = self.locate(key_path) or self.filename
        return f"{source}: {format_key_path(key_path)}" if source else format_key_path(key_path)

    def build_component(self, cfg: Any, kind: str, key_path: tuple[KeyPart, ...], **injected: Any) -> Any:
        """Build `cfg` from the registry, passing those of `injected` that the component accepts."""
        arguments = accepted_arguments(self.registry, cfg, kind, key_path, injected) if isinstance(cfg, Mapping) \
            else injected
        return self.registry.build(cfg, kind, default_args=arguments, key_path=key_path, locate=self.locate)

    def _randomness_cfg(self) -> dict[str, Any]:
        randomness = self.cfg.get("randomness") or {}
        if not isinstance(randomness, Mapping):
            raise ConfigError(f"{self.where('randomness')}: expected a mapping with seed, deterministic, "
                              "diff_rank_seed")
        unknown = sorted(set(randomness) - set(RANDOMNESS_KEYS))
        if unknown:
            raise ConfigError(f"{self.where('randomness', unknown[0])}: unknown key "
                              f"(accepted: {', '.join(RANDOMNESS_KEYS)})")
        seed = randomness.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ConfigError(f"{self.where('randomness', 'seed')}: expected an integer, got {seed!r}")
        return dict(randomness)

    def _dist_cfg(self, env_cfg: Mapping[str, Any]) -> dict[str, Any]:
        """`env_cfg.dist_cfg`: `backend` (auto (default), nccl, gloo) and `timeout` (seconds a collective waits
        for the others)."""
        dist_cfg = env_cfg.get("dist_cfg") or {}
        if not isinstance(dist_cfg, Mapping):
            raise ConfigError(f"{self.where('env_cfg', 'dist_cfg')}: expected a mapping with backend and timeout")
        timeout = dist_cfg.get("timeout", DEFAULT_TIMEOUT_S)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ConfigError(f"{self.where('env_cfg', 'dist_cfg', 'timeout')}: expected a positive number of "
                              f"seconds, got {timeout!r}")
        backend = dist_cfg.get("backend")
        if backend is not None and not isinstance(backend, str):
            raise ConfigError(f"{self.where('env_cfg', 'dist_cfg', 'backend')}: expected auto, nccl or gloo, "
                              f"got {backend!r}")
        distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
        if distributed and backend == "nccl" and not torch.cuda.is_available():
            raise ConfigError(f"{self.where('env_cfg', 'dist_cfg', 'backend')}: nccl needs CUDA, which this machine "
                              "does not have; use gloo, or auto (nccl with CUDA, gloo without)")
        return dict(dist_cfg)

    def _work_dir(self) -> Path:
        work_dir = self.cfg.get("work_dir")
        if work_dir:
            return Path(os.path.expanduser(str(work_dir)))
        if not self._named_file:
            raise ConfigError("work_dir: not set, and there is no config file to name it after")
        return Path("work_dirs") / Path(self.filename).stem

    @property
    def _named_file(self) -> bool:
        return bool(self.filename) and not self.filename.startswith("<")

    @property
    def experiment_name(self) -> str:
        stem = Path(self.filename).stem if self._named_file else "run"
        return f"{stem}_{self.timestamp}" if self.timestamp else stem

    # --- hooks ---------------------------------------------------------------------------------------
    def register_hook(self, hook: Hook, priority: int | str | None = None) -> None:
        """Add a hook; smaller priority runs first, equal priorities in registration order."""
        value = get_priority(priority if priority is not None else hook.priority)
        position = bisect.bisect_right([entry[0] for entry in self._hooks], value)
        self._hooks.insert(position, (value, len(self._hooks), hook))
        self._hooks_at = {point: [h for _, _, h in self._hooks if h.implements(point)] for point in HOOK_POINTS}

    @property
    def hooks(self) -> list[Hook]:
        """The registered hooks in calling order."""
        return [hook for _, _, hook in self._hooks]

    def call_hook(self, point: str, **kwargs: Any) -> None:
        for hook in self._hooks_at[point]:
            getattr(hook, point)(self, **kwargs)

    # --- progress ------------------------------------------------------------------------------------
    @property
    def train_loop(self) -> Any:
        return self._train_loop

    @property
    def val_loop(self) -> Any:
        return self._val_loop

    @property
    def test_loop(self) -> Any:
        return self._test_loop

    @property
    def epoch(self) -> int:
        """Epochs trained: the train loop's; without one, those of the checkpoint `load_from` loaded (0 if none)."""
        return self._train_loop.epoch if self._train_loop is not None else self._loaded_position[0]

    @property
    def iter(self) -> int:
        """Iterations trained: the train loop's; without one, those of the checkpoint `load_from` loaded."""
        return self._train_loop.iter if self._train_loop is not None else self._loaded_position[1]

    @property
    def max_epochs(self) -> int:
        return self._train_loop.max_epochs if self._train_loop is not None else 0

    @property
    def max_iters(self) -> int:
        return self._train_loop.max_iters if self._train_loop is not None else 0

    @property
    def is_main_process(self) -> bool:
        return self.rank == 0

    # --- outputs: work dir, log file, visualizer -----------------------------------------------------
    @property
    def visualizer(self) -> Visualizer:
        if self._visualizer is None:
            self._open_outputs()
        assert self._visualizer is not None
        return self._visualizer

    def _open_outputs(self) -> None:
        """Create the run's log dir (rank 0), log file, resolved-config dump and visualizer backends."""
        if self.log_dir is None:
            self.timestamp = broadcast_object(time.strftime("%Y%m%d_%H%M%S"))
            self.log_dir = broadcast_object(str(_unique_dir(Path(self.work_dir) / self.timestamp))
                                            if self.is_main_process else None)
        if not self.is_main_process:
            if self._visualizer is None:
                self._visualizer = Visualizer([])
            return
        log_dir = Path(self.log_dir)
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
            if self._log_file is None:
                self._log_file = add_log_file(self.logger, str(log_dir / f"{self.timestamp}.log"))
        except OSError as exc:
            raise self._unwritable(exc, log_dir) from exc
        if self._visualizer is None:
            self._visualizer = components.build_visualizer(self, str(log_dir / "vis_data"))
            self._finalizer.detach()
            self._finalizer = weakref.finalize(self, _close_outputs, self.logger, [self._visualizer])
            self._visualizer.add_config(to_plain(self.cfg))

    def _dump_config(self) -> None:
        """`<work_dir>/<config name>.yaml`, the resolved config of the newest run (rank 0), written once the phase
        has loaded its weights: a run that fails to start leaves the previous run's dump in place."""
        if self._config_dumped or not self.is_main_process:
            return
        target = Path(self.work_dir) / f"{Path(self.filename).stem if self._named_file else 'config'}.yaml"
        try:
            Config(to_plain(self.cfg)).dump(target)
        except OSError as exc:
            raise self._unwritable(exc, target) from exc
        self._config_dumped = True

    def _unwritable(self, exc: OSError, path: Path) -> ConfigError:
        source = self.locate(("work_dir",))  # None when --work-dir or the default named it
        key = f"{source}: work_dir" if source else "work_dir"
        return ConfigError(f"{key}: cannot write to {self.work_dir} ({exc.strerror or exc}: {exc.filename or path})")

    def close(self) -> None:
        """Close the visualizer backends and the log file (the next phase reopens them), and give the work dir
        back."""
        visualizer, self._visualizer = self._visualizer, None
        self._log_file = None
        _close_outputs(self.logger, [visualizer])
        lock, self._work_dir_lock = self._work_dir_lock, None
        if lock is not None:
            lock.release()

    def _claim_work_dir(self, mode: str) -> None:
        """Lock the work dir for this phase (rank 0; exclusive for training) and, for a new training run, make
        sure it replaces no earlier run's checkpoints (`resume` or `overwrite` say what to do with them). Every
        rank raises the same one-line error. Runs before anything is written into the work dir."""
        problem = self._work_dir_problem(mode) if self.is_main_process else None
        problem = broadcast_object(problem) if self.distributed else problem
        if problem:
            self.close()
            raise ConfigError(problem)

    def _work_dir_problem(self, mode: str) -> str | None:
        exclusive = mode == "train"
        lock = self._work_dir_lock
        if lock is not None and exclusive and not lock.exclusive:
            lock.release()  # evaluation held it shared; training needs it alone
            lock = None
        if lock is None:
            lock = WorkDirLock(self.work_dir, exclusive, {"train": "training", "val": "validation",
                                                          "test": "testing"}.get(mode, mode))
            try:
                note = lock.acquire()
            except ConfigError as exc:
                return str(exc)
            except OSError as exc:
                return str(self._unwritable(exc, lock.path))
            if note:
                self.logger.warning(note)
            self._work_dir_lock = lock
        if mode != "train":
            return None
        record = Path(self.work_dir) / LAST_CHECKPOINT_FILE
        if os.path.lexists(record) and not record.is_file():
            return (f"{record}: is not a file (vidcore records the newest checkpoint's name there); move it out "
                    "of the way")
        if self.cfg.get("resume") or self.overwrite:
            return None
        earlier = earlier_checkpoints([self._checkpoint_dir(), self.work_dir], self.work_dir)
        if earlier:
            return (f"{self.work_dir}: holds the checkpoints of an earlier run ({listed(earlier)}); continue it with "
                    "--resume, replace them with --overwrite, or choose another --work-dir")
        return None

    def _checkpoint_dir(self) -> Path:
        """The folder the CheckpointHook writes into (the work dir unless `out_dir` is set)."""
        hook = next((hook for hook in self.hooks if isinstance(hook, CheckpointHook)), None)
        return hook.checkpoint_dir(self.work_dir) if hook is not None else Path(self.work_dir)

    def __enter__(self) -> Runner:
        self._in_context = True
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._in_context = False
        self.close()

    def _backend_note(self) -> str:
        backend = get_backend()
        return f", {backend}" if backend else ""

    def _run_phase(self, mode: str, body: Callable[[], Any]) -> Any:
        """Run one phase with outputs open; an error is logged (traceback to the file) and re-raised."""
        self.mode = mode
        try:
            self._claim_work_dir(mode)
            self._open_outputs()
            self.logger.info(f"vidcore {__version__}, torch {torch.__version__}, {mode} on {self.device} "
                             f"(world size {self.world_size}{self._backend_note()}), seed {self.seed}, "
                             f"work dir {self.work_dir}")
            if self._torch_threads is not None:
                self.logger.info(self._threads_note)
            with torch_threads(self._torch_threads):
                return body()
        except BaseException as exc:
            log_exception_to_file(self.logger, exc)
            raise
        finally:
            self.mode = None
            if not self._in_context:
                self.close()

    # --- phases --------------------------------------------------------------------------------------
    def train(self) -> nn.Module:
        """Train (validating as configured); returns the model."""
        missing = [key for key in ("train_dataloader", "train_cfg", "optim_wrapper") if not self.cfg.get(key)]
        if missing:
            raise ConfigError(f"{self.filename or '<config>'}: training needs {', '.join(missing)}")
        self._eval_configured("test")  # a half-configured test split fails now, not after training
        # built before the phase opens its log dir: a config or data error leaves the work dir untouched
        self._train_loop = components.build_train_loop(self)
        self.optim_wrapper = components.build_optim_wrapper(self)
        scale_lr(self)  # before the schedulers record each group's initial lr
        self.param_schedulers = components.build_param_schedulers(self)
        if self._val_loop is None and self._eval_configured("val"):
            self._val_loop = components.build_eval_loop(self, "val")
        return self._run_phase("train", self._train)

    def _train(self) -> nn.Module:
        self.call_hook("before_run")
        with StopSignals() as self._stop_signals:
            try:
                self._load_or_resume()
                self._dump_config()
                if self.training_complete:  # resumed at the end of training: nothing left to do
                    model = self.model
                else:
                    model = self._run_train_loop()
            finally:
                self._stop_signals = None
        self._weights_loaded = True
        self.call_hook("after_run")
        return model

    def _run_train_loop(self) -> nn.Module:
        self.visualizer.add_graph(unwrap_model(self.model))
        model = self._train_loop.run()
        signum = self._requested_stop()
        if signum:  # it came during the last epoch's end or validation: the final checkpoint is written
            raise TrainingInterrupted(signum, f"interrupted by {signal_name(signum)} as training finished "
                                              f"(iteration {self.iter}); its checkpoints are complete")
        return model

    def val(self) -> dict[str, float]:
        """Validate once (loading `load_from` unless weights are already loaded); returns the metrics."""
        if not self._eval_configured("val"):
            raise ConfigError(f"{self.filename or '<config>'}: validation needs val_dataloader and val_evaluator")
        loop = self._build_eval_loop("val")
        return self._run_phase("val", lambda: self._evaluate(loop))

    def test(self, dump: str | None = None) -> dict[str, float]:
        """Test once; with `dump` (a .json or .pkl path) also write every prediction there."""
        if not self.test_loop_configured:
            raise ConfigError(f"{self.filename or '<config>'}: testing needs test_dataloader and test_evaluator")
        dump_metric = DumpResults(dump) if dump else None
        loop = self._build_eval_loop("test", dump_metric)
        return self._run_phase("test", lambda: self._evaluate(loop))

    @property
    def test_loop_configured(self) -> bool:
        return self._eval_configured("test")

    def _eval_configured(self, split: str) -> bool:
        loader, evaluator = self.cfg.get(f"{split}_dataloader"), self.cfg.get(f"{split}_evaluator")
        if f"{split}_cfg" in self.cfg and self.cfg[f"{split}_cfg"] is None:
            return False
        if bool(loader) != bool(evaluator):
            present, absent = (f"{split}_dataloader", f"{split}_evaluator")[:: 1 if loader else -1]
            raise ConfigError(f"{self.filename or '<config>'}: {present} is set but {absent} is not; "
                              f"set both (or neither) to {'validate' if split == 'val' else 'test'}")
        return bool(loader)

    def _build_eval_loop(self, split: str, extra_metric: Any = None) -> Any:
        loop = components.build_eval_loop(self, split, extra_metric)
        if split == "val":
            self._val_loop = loop
        else:
            self._test_loop = loop
        return loop

    def _evaluate(self, loop: Any) -> dict[str, float]:
        self.call_hook("before_run")
        if not self._weights_loaded and self.cfg.get("load_from"):
            self.load_checkpoint(self.cfg["load_from"], strict=self.strict_load_from)
        self._dump_config()
        metrics = loop.run()
        self.call_hook("after_run")
        return metrics

    # --- train / predict steps -----------------------------------------------------------------------
    def train_step(self, data_batch: Any) -> dict[str, torch.Tensor]:
        return train_step(self.model, self._preprocessor, self.optim_wrapper, data_batch,
                          guard=getattr(self._train_loop, "nan_guard", None))

    # --- stopping on SIGINT / SIGTERM ----------------------------------------------------------------
    def stop_if_requested(self) -> None:
        """At a train loop's safe point: when SIGINT/SIGTERM arrived (on any rank), write a checkpoint of the
        position and raise TrainingInterrupted. Collective under DDP: every rank calls it at the same points."""
        stop_at_safe_point(self, self._requested_stop())

    def _requested_stop(self) -> int:
        """The signal number of a requested stop on any rank (0: none). Collective under DDP."""
        local = self._stop_signals.signum if self._stop_signals is not None and self._stop_signals.signum else 0
        return all_reduce_max(local) if self.distributed else local

    def record_last_checkpoint(self, path: str | os.PathLike[str]) -> None:
        """`path` (just written by every rank's `save_checkpoint`) becomes what `resume: true` picks up: rank 0
        writes `<work_dir>/last_checkpoint`; every rank remembers the position it holds."""
        if self.is_main_process:
            try:
                write_last_checkpoint(self.work_dir, path)
            except OSError as exc:
                record = Path(self.work_dir) / LAST_CHECKPOINT_FILE
                raise CheckpointError(f"{record}: cannot record the newest checkpoint {path}: {exc.strerror or exc}; "
                                      "it and the earlier checkpoints are intact") from exc
        self.last_checkpoint = (str(path), dict(self._train_loop.state_dict()))

    def predict_step(self, data_batch: Any) -> Any:
        return predict_step(unwrap_model(self.model), self._preprocessor, data_batch)

    # --- checkpoints ---------------------------------------------------------------------------------
    def _load_or_resume(self) -> None:
        resume = self.cfg.get("resume", False)
        path: str | None = None
        if resume is True or resume == "auto":
            found = find_resume_checkpoint(self.work_dir, self.logger.warning, self._checkpoint_dir())
            if found is None:
                self.logger.warning(f"resume: no checkpoint in {self.work_dir} yet; starting from the beginning")
            else:
                self._resume_from(*found)
                return
        elif isinstance(resume, str) and resume:
            path = resume
        elif resume not in (False, None):
            raise ConfigError(f"{self.where('resume')}: expected true, false or a checkpoint path, got {resume!r}")
        if path is not None:
            self.resume(path)
        elif self.cfg.get("load_from"):
            self.load_checkpoint(self.cfg["load_from"])

    def load_checkpoint(self, path: str, strict: bool = False) -> dict[str, Any]:
        """Load model weights only (`load_from`, a file or an http(s) URL downloaded once into torch hub's cache):
        keys that fit are loaded, the rest reported; with `strict`,
        any missing, unexpected or mis-shaped key is a CheckpointError and nothing is loaded."""
        checkpoint = load_checkpoint(checkpoint_file(path), map_location="cpu")  # a URL: its cached download
        report = load_state_dict(self.model, checkpoint, strict=strict, source=str(path))
        if not report.loaded_keys:
            raise CheckpointError(f"{path}: no weight in it fits {type(unwrap_model(self.model)).__name__}: "
                                  + "; ".join(report.lines()))
        if report.ok:
            self.logger.info(f"loaded weights from {path}")
        else:
            self.logger.warning(f"loaded weights from {path}: {report}")
        self._weights_loaded = True
        self._loaded_position = _trained_position(checkpoint)
        self.call_hook("after_load_checkpoint", checkpoint=checkpoint)
        return checkpoint

    def resume(self, path: str) -> None:
        """Restore everything a checkpoint holds, so training continues as if never interrupted."""
        self._resume_from(path, load_checkpoint(path, map_location="cpu"))

    def _resume_from(self, path: str, checkpoint: dict[str, Any]) -> None:
        self.resuming = True
        try:
            restore_checkpoint(self, checkpoint, str(path))
            self.call_hook("after_load_checkpoint", checkpoint=checkpoint)
        finally:
            self.resuming = False
        self._weights_loaded = True
        loop = self._train_loop
        self.training_complete = loop.iter >= loop.max_iters if not loop.by_epoch else loop.epoch >= loop.max_epochs
        if self.training_complete:
            unit, key, done, total = (("epoch", "max_epochs", loop.epoch, loop.max_epochs) if loop.by_epoch
                                      else ("iteration", "max_iters", loop.iter, loop.max_iters))
            self.logger.info(f"training is complete: {path} is at {unit} {done} and train_cfg.{key} is {total}; "
                             f"to train longer, raise train_cfg.{key} and resume")
        else:
            self.logger.info(f"resumed from {path}: continuing {describe_position(loop, loop.state_dict())}")

    def save_checkpoint(self, path: str | os.PathLike[str], save_optimizer: bool = True,
                        save_param_scheduler: bool = True) -> None:
        """Write a full checkpoint (rank 0). Every rank must call it: all ranks' RNG states are saved. A
        deferred non-finite-loss check is settled first, so a checkpoint never follows a bad batch."""
        guard = getattr(self._train_loop, "nan_guard", None)
        if guard is not None:
            guard.flush()
        checkpoint = make_checkpoint(self, save_optimizer, save_param_scheduler)
        self.call_hook("before_save_checkpoint", checkpoint=checkpoint)
        if self.is_main_process:
            try:
                save_checkpoint(checkpoint, path)
            except OSError as exc:
                raise CheckpointError(f"{path}: cannot write the checkpoint: {exc.strerror or exc}; the previous "
                                      "checkpoints are intact") from exc


def _copy_config(value: Any) -> Any:
    """A copy of the config's dicts and lists; objects in it (a model or dataset given from Python) are kept."""
    if isinstance(value, Mapping):
        return {key: _copy_config(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_config(item) for item in value]
    return value


def _trained_position(checkpoint: Mapping[str, Any]) -> tuple[int, int]:
    """(epoch, iter) recorded in a checkpoint's meta; (0, 0) for weights that do not say."""
    meta = checkpoint.get("meta")
    meta = meta if isinstance(meta, Mapping) else {}
    return tuple(value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
                 for value in (meta.get("epoch"), meta.get("iter")))  # type: ignore[return-value]


def _unique_dir(path: Path) -> Path:
    """`path`, or `path_1`, `path_2`, ... when two runs start within the same second."""
    candidate, number = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}_{number}")
        number += 1
    return candidate


def _close_outputs(logger: Any, visualizers: list[Visualizer | None]) -> None:
    """Close the log file, then every visualizer (also run at interpreter exit for a forgotten runner)."""
    close_logger(logger)
    for visualizer in visualizers:
        if visualizer is not None:
            visualizer.close()
