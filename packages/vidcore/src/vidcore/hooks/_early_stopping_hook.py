"""`EarlyStoppingHook`: stops training when a validation metric stops improving."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import ConfigError
from ._hook import Hook
from ._metric_rule import is_better, resolve_rule, rule_problems

if TYPE_CHECKING:
    from ..runner import Runner


class EarlyStoppingHook(Hook):
    """After each validation during training, compare `monitor` with the best value so far.

    Training stops after `patience` validations without an improvement larger than `min_delta`, when
    the value reaches `stopping_threshold`, or (`check_finite`) when it is NaN or infinite. `rule`
    (greater/less) is inferred from the metric name when unset. `strict`: a missing metric is an error
    (else a warning). Its counters are saved in checkpoints and restored on resume.
    """

    priority = "LOWEST"
    watched_metric_argument = "monitor"  # `vidcore config check` compares it with the validation metrics

    @classmethod
    def check_config(cls, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Whether `monitor` is better greater or less is known (see vidcore.registry's check_config)."""
        return rule_problems(args.get("monitor"), args.get("rule"), "EarlyStoppingHook")

    def __init__(self, monitor: str, rule: str | None = None, min_delta: float = 0.1, strict: bool = False,
                 check_finite: bool = True, patience: int = 5, stopping_threshold: float | None = None) -> None:
        self.monitor = monitor
        self.rule = resolve_rule(monitor, rule, "EarlyStoppingHook")
        self.min_delta = abs(min_delta)
        self.strict = strict
        self.check_finite = check_finite
        self.patience = patience
        self.stopping_threshold = stopping_threshold
        self.best_score: float | None = None
        self.wait_count = 0

    def state_dict(self) -> dict[str, Any]:
        return {"best_score": self.best_score, "wait_count": self.wait_count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best_score = state.get("best_score")
        self.wait_count = int(state.get("wait_count", 0))

    def after_val_epoch(self, runner: Runner, metrics: Mapping[str, float] | None = None) -> None:
        if runner.mode != "train":
            return
        metrics = metrics or {}
        if self.monitor not in metrics:
            message = (f"EarlyStoppingHook: metric '{self.monitor}' is not among the validation metrics: "
                       f"{', '.join(metrics) or 'none'}")
            if self.strict:
                raise ConfigError(message)
            runner.logger.warning(message)
            return
        score = float(metrics[self.monitor])
        reason = self._stop_reason(score)
        if reason:
            runner.train_loop.stop_training = True
            runner.logger.info(f"early stopping: {reason}")

    def _stop_reason(self, score: float) -> str | None:
        if self.check_finite and not math.isfinite(score):
            return f"{self.monitor} is {score}"
        if self.stopping_threshold is not None:
            reached = score >= self.stopping_threshold if self.rule == "greater" else score <= self.stopping_threshold
            if reached:
                return f"{self.monitor} = {score:.4f} reached the threshold {self.stopping_threshold}"
        if is_better(score, self.best_score, self.rule, self.min_delta):
            self.best_score = score
            self.wait_count = 0
            return None
        self.wait_count += 1
        if self.wait_count >= self.patience:
            return f"{self.monitor} did not improve on {self.best_score:.4f} for {self.wait_count} validations"
        return None
