"""`CheckpointHook`: periodic checkpoints, `last_checkpoint`, `max_keep_ckpts`, and the best checkpoint."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..checkpoint import remove_temp_files
from ._hook import Hook
from ._metric_rule import is_better, pick_metric, resolve_rule, rule_problems

if TYPE_CHECKING:
    from ..runner import Runner

class CheckpointHook(Hook):
    """Saves `epoch_N.pth` (or `iter_N.pth`) every `interval` epochs (iterations), and at the end with `save_last`.

    `by_epoch` defaults to the train loop's kind. `max_keep_ckpts` > 0 keeps only the newest periodic
    checkpoints this run wrote. `save_best: <metric>|auto` keeps the checkpoint with the best validation
    value as `best_<metric>_epoch_N.pth` (the previous best is removed), with the model's weights but no
    optimizer or scheduler state (resume uses the periodic ones); `rule` (greater/less) is inferred
    from the metric name when unset. `out_dir` puts checkpoints in `<out_dir>/<work dir name>`.

    When validation follows an epoch (iteration), that epoch's checkpoint is written after validation,
    so it holds the new best score and the hooks' updated state: resuming from it repeats nothing.
    """

    priority = "VERY_LOW"
    watched_metric_argument = "save_best"  # `vidcore config check` compares it with the validation metrics

    @classmethod
    def check_config(cls, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Whether `save_best` is better greater or less is known (see vidcore.registry's check_config)."""
        return rule_problems(args.get("save_best"), args.get("rule"), "default_hooks.checkpoint.save_best")

    def __init__(self, interval: int = 1, by_epoch: bool | None = None, save_optimizer: bool = True,
                 save_param_scheduler: bool = True, out_dir: str | None = None, max_keep_ckpts: int = -1,
                 save_last: bool = True, save_best: str | None = None, rule: str | None = None,
                 save_begin: int = 0) -> None:
        self.interval = interval
        self.by_epoch = by_epoch
        self.save_optimizer = save_optimizer
        self.save_param_scheduler = save_param_scheduler
        self.out_dir = out_dir
        self.max_keep_ckpts = max_keep_ckpts
        self.save_last = save_last
        self.save_best = save_best
        self.rule = rule
        self.save_begin = save_begin
        self.best_score: float | None = None
        self.best_metric: str | None = None
        self._best_name: str | None = None  # file name in the checkpoint folder
        self.best_at: str | None = None  # "epoch 12" or "iteration 3000"
        self._kept: list[str] = []  # file names in the checkpoint folder, oldest first
        self._pending: str | None = None
        self._best_due = False
        self._directory = Path(".")
        self._counts_epochs = True

    @property
    def best_path(self) -> str | None:
        """The best checkpoint's path (in the checkpoint folder of this run), None before the first one."""
        return str(self._directory / self._best_name) if self._best_name else None

    def checkpoint_dir(self, work_dir: str | os.PathLike[str]) -> Path:
        """Where checkpoints of a run with this `work_dir` go: the work dir, or `<out_dir>/<work dir name>`."""
        return Path(self.out_dir) / Path(work_dir).name if self.out_dir else Path(work_dir)

    # --- state carried across resume -----------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """File names only (relative to the checkpoint folder): a copied or moved work dir keeps its own files."""
        return {"best_score": self.best_score, "best_metric": self.best_metric, "best_path": self._best_name,
                "best_at": self.best_at, "kept": list(self._kept)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best_score = state.get("best_score")
        self.best_metric = state.get("best_metric")
        self.best_at = state.get("best_at")
        # older checkpoints hold absolute paths: only the file name counts, in this run's checkpoint folder
        best = state.get("best_path")
        self._best_name = _file_name(best) if best else None
        self._kept = [name for name in map(_file_name, state.get("kept") or []) if name]

    # --- when to save --------------------------------------------------------------------------------
    def before_train(self, runner: Runner) -> None:
        self._counts_epochs = runner.train_loop.by_epoch if self.by_epoch is None else self.by_epoch
        work_dir = Path(runner.work_dir)
        self._directory = self.checkpoint_dir(work_dir)
        if self.save_best and runner.val_loop is None:
            runner.logger.warning("checkpoint: save_best is set but no validation is configured; "
                                  "no best checkpoint will be written")
        if runner.is_main_process:
            folders = dict.fromkeys([self._directory, work_dir])  # checkpoints; last_checkpoint
            removed = [path for folder in folders for path in remove_temp_files(folder)]
            if removed:
                runner.logger.info(f"removed {len(removed)} temp file(s) left by interrupted checkpoint writes: "
                                   + ", ".join(path.name for path in removed))

    def _due(self, count: int, total: int) -> bool:
        since_begin = count - self.save_begin
        periodic = self.interval > 0 and since_begin >= 0 and since_begin % self.interval == 0
        return periodic or (self.save_last and count == total)

    def after_train_epoch(self, runner: Runner) -> None:
        if self._counts_epochs and self._due(runner.epoch + 1, runner.max_epochs):
            validates_next = runner.train_loop.by_epoch and runner.train_loop.val_due()
            self._save_or_defer(runner, f"epoch_{runner.epoch + 1}.pth", validates_next)

    def after_train_iter(self, runner: Runner, batch_idx: int, data_batch: Any = None,
                         outputs: Mapping[str, Any] | None = None) -> None:
        if not self._counts_epochs and self._due(runner.iter + 1, runner.max_iters):
            loop = runner.train_loop
            # an epoch-based loop validates after the epoch's last iteration only
            ends_epoch = not loop.by_epoch or loop.inner_iter + 1 == loop.epoch_length
            self._save_or_defer(runner, f"iter_{runner.iter + 1}.pth", ends_epoch and loop.val_due())

    def _save_or_defer(self, runner: Runner, filename: str, validates_next: bool) -> None:
        """Write now, or after the validation that runs next (so the checkpoint holds its results)."""
        if runner.val_loop is not None and validates_next:
            self._pending = filename
        else:
            self._write(runner, filename)

    def save_now(self, runner: Runner, filename: str) -> Path:
        """Write a checkpoint of the current position outside the schedule (a stop on SIGINT/SIGTERM)."""
        return self._write(runner, filename)

    # --- best checkpoint -----------------------------------------------------------------------------
    def after_val_epoch(self, runner: Runner, metrics: Mapping[str, float] | None = None) -> None:
        if runner.mode != "train" or not self.save_best:
            return
        owner = "default_hooks.checkpoint.save_best"
        metric = pick_metric(metrics or {}, self.save_best, owner)
        rule = resolve_rule(metric, self.rule, owner)
        score = float(metrics[metric])  # type: ignore[index]
        if is_better(score, self.best_score, rule):
            self.best_score, self.best_metric, self._best_due = score, metric, True

    def after_val(self, runner: Runner) -> None:
        if runner.mode != "train":
            return
        pending, self._pending = self._pending, None
        best_due, self._best_due = self._best_due, False
        previous_best = self.best_path
        if best_due:
            label = f"epoch_{runner.epoch}" if self._counts_epochs else f"iter_{runner.iter}"
            self.best_at = f"epoch {runner.epoch}" if self._counts_epochs else f"iteration {runner.iter}"
            metric = re.sub(r"[^\w.-]+", "_", self.best_metric or "metric")
            self._best_name = f"best_{metric}_{label}.pth"
        if pending:
            self._write(runner, pending)
        if not best_due:
            return
        assert self.best_path is not None
        # for test, infer and load_from: the weights, without the optimizer state resuming needs (2x their size
        # with Adam); training resumes from the periodic checkpoints
        runner.save_checkpoint(self.best_path, save_optimizer=False, save_param_scheduler=False)
        if runner.is_main_process:
            if previous_best and previous_best != self.best_path and os.path.exists(previous_best):
                os.unlink(previous_best)
            runner.logger.info(f"best {self.best_metric}: {self.best_score:.4f}, saved {self.best_path}")

    # --- writing -------------------------------------------------------------------------------------
    def _write(self, runner: Runner, filename: str) -> Path:
        path = self._directory / filename
        if filename not in self._kept:
            self._kept.append(filename)
        runner.save_checkpoint(path, self.save_optimizer, self.save_param_scheduler)
        runner.record_last_checkpoint(path)
        if runner.is_main_process:
            runner.logger.info(f"saved checkpoint {path}")
            self._remove_old()
        return path

    def _remove_old(self) -> None:
        if self.max_keep_ckpts <= 0:
            return
        while len(self._kept) > self.max_keep_ckpts:
            old = self._directory / self._kept.pop(0)
            if os.path.exists(old):
                os.unlink(old)


def _file_name(recorded: Any) -> str | None:
    """The file name of a recorded checkpoint path (None for anything that is not a usable name)."""
    name = Path(str(recorded)).name if isinstance(recorded, (str, os.PathLike)) else ""
    return name if name and name not in (".", "..") else None
